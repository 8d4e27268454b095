"""Group notes (the service's system messages in a group) read alike by every driver: what kind of note, whose
names it carries, whether it says the bot itself was removed. Part of the seam, like drivers/group_errors.py."""

from __future__ import annotations

import re

from drivers.types import GroupNoteKind

_QUOTED = re.compile(r"[\"“]([^\"”]*)[\"”]")
JOIN_WORDS = ("加入了群聊", "加入群聊", "joined", "to the group chat")
LEAVE_WORDS = ("移出了群聊", "removed", "移出群聊")
RENAME_WORDS = ("修改群名为", "changed the group name")


def note_kind(note: str) -> GroupNoteKind:
    if any(w in note for w in LEAVE_WORDS):
        return GroupNoteKind.LEAVE
    if any(w in note for w in RENAME_WORDS):
        return GroupNoteKind.RENAME
    if any(w in note for w in JOIN_WORDS):
        return GroupNoteKind.JOIN
    return GroupNoteKind.OTHER


def note_names(note: str, kind: GroupNoteKind) -> tuple[str, ...]:
    """The joined or removed members' names: '你邀请"A"、"B"加入了群聊', '"A"通过扫描…', '你将"A"移出了群聊', and the
    English client's 'X invited "A" to the group chat', '"A" joined the group chat via …', 'You removed "A" from the
    group chat' (wechaty's firer.spec.ts). Names are split on the '"、"' between them, so a name holding a quote
    stays whole; the stray spaces real notes carry inside the quotes are dropped."""
    segment = note.strip()
    if kind is GroupNoteKind.JOIN:
        if " invited " in segment:
            segment = segment.rsplit(" invited ", 1)[1].split(" to the group chat", 1)[0]
            segment = segment[len("you and "):] if segment.lower().startswith("you and ") else segment
        elif " joined " in segment:
            segment = segment.split(" joined ", 1)[0]
        else:
            segment = segment.split("邀请", 1)[1].rsplit("加入", 1)[0] if "邀请" in segment \
                else segment.split("通过扫描", 1)[0]
            segment = segment[2:] if segment.startswith("你和") else segment
    elif kind is GroupNoteKind.LEAVE:
        if " removed " in segment:
            segment = segment.rsplit(" removed ", 1)[1].split(" from the group chat", 1)[0]
        else:
            segment = (segment.split("将", 1)[1] if "将" in segment else segment).rsplit("移出", 1)[0]
    else:
        return ()
    segment = segment.strip()
    if len(segment) >= 2 and segment[0] in "\"“" and segment[-1] in "\"”":
        inner = segment[1:-1]  # real notes also join names with a bare 、 inside one pair of quotes
        names = inner.split("\"、\"") if "\"、\"" in inner else inner.split("、")
    else:
        names = _QUOTED.findall(segment) or segment.split("、")
    return tuple(name.strip() for name in names if name.strip())


def bot_removed(note: str) -> bool:
    """你被"X"移出群聊 / You were removed from the group chat by X: the bot itself left, X is who removed it."""
    note = note.strip()
    return (note.startswith('你被"') and note.endswith('"移出群聊')) or \
        note.startswith("You were removed from the group chat by ")


def group_dissolved(note: str) -> bool:
    """群主"X"已解散该群聊: the owner dissolved the group (every member, the bot too, is out). The iPad protocol
    sends it as a 10002 sysmsgtemplate (``群主"$identity$"已解散该群聊``, GeWe's callback docs), desktop
    clients as a 10000 note; the text follows the phone's language and no English form is recorded, so only
    this one is read."""
    note = note.strip()
    return note.startswith("群主") and note.endswith("已解散该群聊")
