"""System notes (type 10000) as the real service writes them, in the account's language (Settings.note_language).

Forms and stray spaces as recorded by wechaty's puppet-wechat firer (firer.spec.ts, REGEX_CONFIG) and the pad
puppets' room-event parsers (wechaty-puppet-padlocal ``message-parser-room-join.ts``): the Chinese invite note ends
with two spaces and a QR joiner's quoted name starts with a space; English invite notes name people without
quotes ("You invited A、B to the group chat.␣␣␣", "X invited A to the group chat"), a join through the bot's own QR
code reads '"Y" joined group chat via the QR code you shared.␣␣', one through another member's
'"Y" joined the group chat via the QR Code shared by "X".'
"""

from __future__ import annotations

from sandbox.core import Sandbox
from sandbox.world import SELF_ID


def _who(sb: Sandbox, person_id: str, english: bool) -> str:
    if person_id == SELF_ID:
        return "You" if english else "你"
    return f'"{sb.world.people[person_id].nick_name}"'


def _list(sb: Sandbox, person_ids: list[str], quoted: bool = True) -> str:
    if not quoted:
        return "、".join(sb.world.people[p].nick_name for p in person_ids)
    return "、".join(f'"{sb.world.people[p].nick_name}"' for p in person_ids)


def invited(sb: Sandbox, by_id: str, person_ids: list[str]) -> str:
    if sb.settings.note_language == "en":
        if by_id == SELF_ID:
            return f"You invited {_list(sb, person_ids, quoted=False)} to the group chat.   "
        return f"{sb.world.people[by_id].nick_name} invited {_list(sb, person_ids, quoted=False)} to the group chat"
    return f"{_who(sb, by_id, False)}邀请{_list(sb, person_ids)}加入了群聊  "


def scanned(sb: Sandbox, person_id: str, sharer_id: str) -> str:
    nick = sb.world.people[person_id].nick_name
    if sb.settings.note_language == "en":
        if sharer_id == SELF_ID:
            return f'"{nick}" joined group chat via the QR code you shared.  '
        return f'"{nick}" joined the group chat via the QR Code shared by {_who(sb, sharer_id, True)}.'
    return f'" {nick}"通过扫描{_who(sb, sharer_id, False)}分享的二维码加入群聊'


def accepted(sb: Sandbox, person_id: str) -> str:
    if sb.settings.note_language == "en":  # a guess: no client or fixture searched records the English form
        return f'"{sb.world.people[person_id].nick_name}" joined the group chat via your invitation.'
    return f'"{sb.world.people[person_id].nick_name}"通过你的邀请加入了群聊'


def removed(sb: Sandbox, by_id: str, person_ids: list[str]) -> str:
    if sb.settings.note_language == "en":
        return f"{_who(sb, by_id, True)} removed {_list(sb, person_ids)} from the group chat"
    return f"{_who(sb, by_id, False)}将{_list(sb, person_ids)}移出了群聊"


def bot_removed(sb: Sandbox, by_id: str) -> str:
    if sb.settings.note_language == "en":
        return f"You were removed from the group chat by {_who(sb, by_id, True)}"
    return f"你被{_who(sb, by_id, False)}移出群聊"


def dissolved(sb: Sandbox, owner_id: str) -> str:
    """群主"X"已解散该群聊, what members see when the owner dissolves a group (a desktop client's 10000 note; the iPad
    protocol carries the same text as a sysmsgtemplate, sandbox/gateway/render.py). No English form is recorded,
    so the note stays Chinese whatever ``note_language`` says (a guess)."""
    return f'群主"{sb.world.people[owner_id].nick_name}"已解散该群聊'
