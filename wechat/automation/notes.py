"""Who joined a group, read from WeChat's system notes (message type 10000).

The forms WeChat writes (names in straight double quotes; several names joined by "、"):
    "X"邀请"Y"加入了群聊            someone invited Y
    "Y"通过扫描"X"分享的二维码加入群聊   Y scanned X's QR code
    你邀请"Y"加入了群聊              the bot added Y
    "Y"通过你的邀请加入了群聊          Y accepted the bot's invitation
Names may themselves contain quotes, so the parsers anchor on the fixed words, not on the quotes: where a fixed
word occurs more than once, the last occurrence that leaves a valid note wins (as a greedy `".+"` would).
Plain string searches, linear in the note's length: the note carries names any WeChat user chooses, and the
equivalent regular expressions (`^".+"邀请"(.+)"加入了群聊$`) backtracked quadratically on crafted names.
"""

from __future__ import annotations

INVITED_END = '"加入了群聊'
SCANNED_END = "分享的二维码加入群聊"
SCANNED = '"通过扫描'
ACCEPTED_END = '"通过你的邀请加入了群聊'


def _invited(text: str) -> str | None:
    """(?:你|".+")邀请"(names)"加入了群聊"""
    if not text.endswith(INVITED_END):
        return None
    body = text[:-len(INVITED_END)]
    if body.startswith('你邀请"') and len(body) > 4:
        return body[4:]
    if not body.startswith('"'):
        return None
    # the inviter's quoted name is non-empty (k >= 2) and so are the names (k + 4 < len(body))
    k = body.rfind('"邀请"', 2, len(body) - 1)
    return body[k + 4:] if k >= 2 else None


def _scanned(text: str) -> str | None:
    """"(names)"通过扫描(?:你|".+")分享的二维码加入群聊"""
    if not (text.startswith('"') and text.endswith(SCANNED_END)):
        return None
    body = text[:-len(SCANNED_END)]
    end = len(body)
    while True:
        k = body.rfind(SCANNED, 2, end)
        if k < 2:
            return None
        sharer = body[k + len(SCANNED):]
        if sharer == "你" or (len(sharer) >= 3 and sharer[0] == '"' and sharer[-1] == '"'):
            return body[1:k]
        end = k + len(SCANNED) - 1  # try the occurrence before this one


def _accepted(text: str) -> str | None:
    """"(names)"通过你的邀请加入了群聊"""
    if text.startswith('"') and text.endswith(ACCEPTED_END) and len(text) > len(ACCEPTED_END) + 1:
        return text[1:-len(ACCEPTED_END)]
    return None


def joined_names(note: str) -> list[str]:
    """The nick names a join note announces ([] for any other note)."""
    text = (note or "").strip()
    if "\n" in text:  # a note is one line (the patterns this replaces never matched across lines)
        return []
    for parse in (_invited, _scanned, _accepted):
        names = parse(text)
        if names:
            return [name for name in names.split('"、"') if name]
    return []
