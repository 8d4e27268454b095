"""Who joined or left a group, read from WeChat's system notes (message type 10000), in Chinese and English.

The forms WeChat writes (names in straight double quotes, several names joined by "、"; the English client writes
the same notes in English, sometimes without the quotes, with a trailing "." and stray spaces):
    "X"邀请"Y"加入了群聊 / 你邀请"Y"加入了群聊 / "X"邀请你和"Y"加入了群聊      X invited Y to the group chat
    "Y"通过扫描"X"分享的二维码加入群聊   " Y" joined the group chat via the QR Code shared by "X".
    "Y"通过扫描你分享的二维码加入群聊    "Y" joined group chat via the QR code you shared.
    "Y"通过你的邀请加入了群聊
    "X"将"Y"移出了群聊 / 你将"Y"移出了群聊        "X" removed "Y" from the group chat / You removed "Y" ...
    你被"X"移出群聊                              You were removed from the group chat by "X"   (the bot left)
(wechaty's room-event parsers and firer.spec.ts record these forms; docs/SANDBOX.md cites them.)
Names may themselves contain quotes, so the parsers anchor on the fixed words, not on the quotes: where a fixed
word occurs more than once, the last occurrence that leaves a valid note wins (as a greedy `".+"` would).
Plain string searches, linear in the note's length: the note carries names any WeChat user chooses, and the
equivalent regular expressions (`^".+"邀请"(.+)"加入了群聊$`) backtracked quadratically on crafted names.
"""

from __future__ import annotations

from dataclasses import dataclass

INVITED_END = '"加入了群聊'
SCANNED_END = "分享的二维码加入群聊"
SCANNED = '"通过扫描'
ACCEPTED_END = '"通过你的邀请加入了群聊'
REMOVED_END = '"移出了群聊'
BOT_REMOVED_START = '你被"'
BOT_REMOVED_END = '"移出群聊'
EN_INVITED_END = " to the group chat"
EN_INVITED = " invited "
EN_SCANNED = (" joined the group chat via the QR Code shared by ", " joined the group chat via the QR code shared by ",
              " joined group chat via the QR Code shared by ")
# Through the bot's own QR code the English note ends with the phrase (wechaty puppet-wechat firer: '"Y" joined group
# chat via the QR code you shared.␣␣'; its older spec: '"Y" joined the group chat via your shared QR Code.').
EN_SCANNED_YOURS = (" joined group chat via the QR code you shared", " joined the group chat via your shared QR Code")
EN_REMOVED = " removed "
EN_REMOVED_END = " from the group chat"
EN_BOT_REMOVED = "You were removed from the group chat by "
YOU = ("你", "You", "you", "You've")


@dataclass(frozen=True)
class NoteEvent:
    kind: str  # "join" | "leave" | "bot_removed"
    names: list[str]  # the members who joined or left ([] for bot_removed)


def _names(chunk: str, quoted: bool) -> list[str]:
    """Names from 'a"、"b' (inside the note's quotes) or, for English notes, '"a"、"b"', '"a、b"' or 'a、b';
    without the stray spaces real notes carry. Real notes also join names with a bare 、 inside one pair of quotes
    (wechaty's '"桔小秘"邀请你和"庆次、小桔妹"加入了群聊'), so a nick name that itself holds 、 reads as two names."""
    chunk = chunk.strip()
    if not quoted and len(chunk) >= 2 and chunk[0] == '"' and chunk[-1] == '"':
        chunk = chunk[1:-1]
    parts = chunk.split('"、"') if '"、"' in chunk else chunk.split("、")
    names = (part.strip() for part in parts)
    return [name for name in names if name and name not in YOU]


def _invited(text: str) -> str | None:
    """(?:你|".+")邀请(?:你和)?"(names)"加入了群聊"""
    if not text.endswith(INVITED_END):
        return None
    body = text[:-len(INVITED_END)]
    if body.startswith('你邀请"') and len(body) > 4:
        return body[4:]
    if not body.startswith('"'):
        return None
    # the inviter's quoted name is non-empty (k >= 2) and so are the names (k + 4 < len(body))
    k = body.rfind('"邀请"', 2, len(body) - 1)
    if k >= 2:
        return body[k + 4:]
    k = body.rfind('"邀请你和"', 2, len(body) - 1)  # the bot was invited along with them
    return body[k + 6:] if k >= 2 else None


def _scanned(text: str) -> str | None:
    """"(names)"通过扫描(?:你|".+")分享的二维码加入群聊"""
    if not (text.startswith('"') and text.endswith(SCANNED_END)):
        return None
    body = text[:-len(SCANNED_END)]
    if body.endswith("你"):  # the sharer is the bot: only the marker right before 你 can match
        k = len(body) - 1 - len(SCANNED)
        return body[1:k] if k >= 2 and body.startswith(SCANNED, k) else None
    if not body.endswith('"'):
        return None
    # the last marker followed by a quoted, non-empty sharer; indexes only, no slices, so a note made of
    # thousands of markers costs one backward scan, not one copy of the note per marker
    end = len(body)
    while True:
        k = body.rfind(SCANNED, 2, end)
        if k < 2:
            return None
        sharer_at = k + len(SCANNED)
        if len(body) - sharer_at >= 3 and body[sharer_at] == '"':
            return body[1:k]
        end = sharer_at - 1  # try the occurrence before this one


def _accepted(text: str) -> str | None:
    """"(names)"通过你的邀请加入了群聊"""
    if text.startswith('"') and text.endswith(ACCEPTED_END) and len(text) > len(ACCEPTED_END) + 1:
        return text[1:-len(ACCEPTED_END)]
    return None


def _english_invited(text: str) -> str | None:
    """X invited [you and ]Y to the group chat (X may be You / You've)"""
    if not text.endswith(EN_INVITED_END):
        return None
    body = text[:-len(EN_INVITED_END)]
    k = body.rfind(EN_INVITED)
    if k < 1:
        return None
    names = body[k + len(EN_INVITED):]
    return names[len("you and "):] if names.lower().startswith("you and ") else names


def _english_scanned(text: str) -> str | None:
    """Y joined the group chat via the QR Code shared by X / Y joined group chat via the QR code you shared"""
    for ending in EN_SCANNED_YOURS:
        if text.endswith(ending) and len(text) > len(ending):
            return text[:-len(ending)]
    for marker in EN_SCANNED:
        k = text.rfind(marker)
        if k >= 1 and len(text) > k + len(marker):
            return text[:k]
    return None


def _removed(text: str) -> str | None:
    """(?:你|".+")将"(names)"移出了群聊 / (?:You|".+") removed "(names)" from the group chat"""
    if text.endswith(REMOVED_END):
        body = text[:-len(REMOVED_END)]
        if body.startswith('你将"') and len(body) > 3:
            return body[3:]
        k = body.rfind('"将"', 2, len(body) - 1) if body.startswith('"') else -1
        return body[k + 3:] if k >= 2 else None
    if text.endswith(EN_REMOVED_END) and not text.startswith(EN_BOT_REMOVED):
        body = text[:-len(EN_REMOVED_END)]
        k = body.rfind(EN_REMOVED)
        return body[k + len(EN_REMOVED):] if k >= 1 else None
    return None


def _normalized(note: str) -> str | None:
    """One line without the surrounding spaces and the English trailing full stop; None for a multi-line text."""
    text = (note or "").strip()
    if "\n" in text:  # a note is one line (the patterns this replaces never matched across lines)
        return None
    return text[:-1].rstrip() if text.endswith(".") else text


def bot_removed_from_group(note: str) -> bool:
    """True for the note WeChat shows the bot when someone removed it from the group (你被"X"移出群聊)."""
    text = _normalized(note)
    if not text:
        return False
    return (text.startswith(BOT_REMOVED_START) and text.endswith(BOT_REMOVED_END)
            and len(text) > len(BOT_REMOVED_START) + len(BOT_REMOVED_END)) \
        or (text.startswith(EN_BOT_REMOVED) and len(text) > len(EN_BOT_REMOVED))


def parse_note(note: str) -> NoteEvent | None:
    """What a group's system note announces: members joining, members leaving, or the bot removed (else None)."""
    text = _normalized(note)
    if not text:
        return None
    if bot_removed_from_group(text):
        return NoteEvent("bot_removed", [])
    for parse, quoted in ((_invited, True), (_scanned, True), (_accepted, True), (_english_invited, False),
                          (_english_scanned, False)):
        chunk = parse(text)
        names = _names(chunk, quoted) if chunk else []
        if names:
            return NoteEvent("join", names)
    chunk = _removed(text)
    names = _names(chunk, not text.endswith(EN_REMOVED_END)) if chunk else []
    return NoteEvent("leave", names) if names else None


def joined_names(note: str) -> list[str]:
    """The nick names a join note announces ([] for any other note)."""
    event = parse_note(note)
    return event.names if event is not None and event.kind == "join" else []


def removed_names(note: str) -> list[str]:
    """The nick names a removal note announces ([] for any other note)."""
    event = parse_note(note)
    return event.names if event is not None and event.kind == "leave" else []
