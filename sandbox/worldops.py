"""POST /_sandbox/world operations: contact changes that clients learn about through webwxsync."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox import notes
from sandbox.core import Sandbox
from sandbox.world import SELF_ID, Mp, Person, WorldError


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise WorldError(f"{key!r} (a non-empty string) is required")
    return value


def remove_friend(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    person = sb.world.person(_text(data, "nick_name"), friends_only=True)
    if person.id == SELF_ID:
        raise WorldError("the bot cannot unfriend itself")
    person.is_friend, person.remark_name = False, ""
    sb.changed(person.id, deleted=True)
    return {"removed": person.nick_name}


def add_friend(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    """A new friend (added from the phone): ModContactList plus the usual '你已添加了…' note."""
    nick = _text(data, "nick_name")
    strangers = [p for p in sb.world.people_named(nick) if p.id != SELF_ID]
    if any(p.is_friend for p in strangers):
        raise WorldError(f"{nick!r} is already a friend")
    person = strangers[0] if strangers else sb.world.add_person(Person(id=sb.world.new_id("p"), nick_name=nick))
    person.is_friend = True
    person.sex = int(data.get("sex", person.sex))
    person.province = str(data.get("province", person.province))
    person.city = str(data.get("city", person.city))
    person.signature = str(data.get("signature", person.signature))
    sb.changed(person.id)
    sb.push(10000, person.id, SELF_ID, text=f"你已添加了{person.nick_name}，现在可以开始聊天了。")
    return {"added": person.nick_name}


def rename_group(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    group = sb.world.group(_text(data, "group"))
    name = _text(data, "name")
    by = sb.world.person(data["by"], within=group) if data.get("by") else sb.world.people[group.owner_id]
    group.nick_name = name
    who = "你" if by.id == SELF_ID else f'"{by.nick_name}"'
    sb.group_note(group, f"{who}修改群名为“{name}”")
    sb.changed(group.id)
    return {"group": name}


def leave_group(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    """A member leaves (silently, as on WeChat); if it is the bot, the group goes to DelContactList."""
    group = sb.world.group(_text(data, "group"))
    person = sb.world.person(_text(data, "nick_name"), within=group)
    sb.leave_group(group, [person.id])
    return {"group": group.nick_name, "members": len(group.member_ids)}


def set_display_name(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    """A member sets (or, with "", clears) their group display name (群昵称); clients see it after a sync."""
    group = sb.world.group(_text(data, "group"))
    person = sb.world.person(_text(data, "nick_name"), within=group)
    display = data.get("display_name")
    if not isinstance(display, str):
        raise WorldError("'display_name' (a string, '' to clear) is required")
    if display:
        group.display_names[person.id] = display
    else:
        group.display_names.pop(person.id, None)
    sb.changed(group.id)
    return {"group": group.nick_name, "nick_name": person.nick_name, "display_name": display}


def remove_member(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    """The owner (or "by") removes a member from the phone; removing the bot ends its membership with the note
    WeChat shows the removed one (你被"X"移出群聊), and the group goes to DelContactList."""
    group = sb.world.group(_text(data, "group"))
    person = sb.world.person(_text(data, "nick_name"), within=group)
    by = sb.world.person(data["by"], within=group) if data.get("by") else sb.world.people[group.owner_id]
    if by.id == person.id:
        raise WorldError("use leave_group for a member who leaves")
    note = notes.bot_removed(sb, by.id) if person.id == SELF_ID else notes.removed(sb, by.id, [person.id])
    if person.id == SELF_ID:
        sb.group_note(group, note)  # the bot sees its own removal note, then loses the group
        sb.leave_group(group, [person.id])
    else:
        sb.leave_group(group, [person.id], note)
    return {"group": group.nick_name, "members": len(group.member_ids)}


def dissolve_group(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    """The owner (a member other than the bot) dissolves the group from the phone: every member sees the dissolve
    note, then the group is empty and leaves the bot's contacts (DelContactList / DelContacts)."""
    group = sb.world.group(_text(data, "group"))
    if not group.has(SELF_ID):
        raise WorldError("the bot is not in this group")
    if group.owner_id == SELF_ID:
        raise WorldError("the bot owns this group: only another owner's dissolution is modelled")
    owner_id = group.owner_id
    sb.push(10000, group.id, SELF_ID, text=notes.dissolved(sb, owner_id), extra={"dissolved_by": owner_id})
    sb.leave_group(group, list(group.member_ids))
    return {"group": group.nick_name, "members": 0}


def set_note_language(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("language") not in ("zh", "en"):
        raise WorldError("'language' must be 'zh' or 'en'")
    sb.settings.note_language = data["language"]
    return {"note_language": sb.settings.note_language}


def add_mp(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    mp = sb.world.add_mp(Mp(id=sb.world.new_id("m"), nick_name=_text(data, "nick_name"),
                            signature=str(data.get("signature", ""))))
    sb.changed(mp.id)
    return {"added": mp.nick_name}


def remove_mp(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    mp = sb.world.mp(_text(data, "nick_name"))
    del sb.world.mps[mp.id]
    sb.changed(mp.id, deleted=True)
    return {"removed": mp.nick_name}


def set_refused(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data.get("refused"), bool):
        raise WorldError("'refused' (true/false) is required")
    sb.world.web_login_refused = data["refused"]
    return {"web_login_refused": sb.world.web_login_refused}


def set_invite_accept(sb: Sandbox, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("mode") not in ("immediate", "manual"):
        raise WorldError("'mode' must be 'immediate' or 'manual'")
    sb.settings.invite_accept = data["mode"]
    return {"invite_accept": sb.settings.invite_accept}


OPS: dict[str, Callable[[Sandbox, dict[str, Any]], dict[str, Any]]] = {
    "remove_friend": remove_friend, "add_friend": add_friend, "rename_group": rename_group,
    "leave_group": leave_group, "add_mp": add_mp, "remove_mp": remove_mp, "set_refused": set_refused,
    "set_invite_accept": set_invite_accept, "set_display_name": set_display_name, "remove_member": remove_member,
    "set_note_language": set_note_language, "dissolve_group": dissolve_group,
}
