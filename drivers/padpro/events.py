"""One gateway message (any recorded shape) → the seam's neutral events.

Shapes: the snake_case WebSocket form (``from_user_name: {"str": …}``, read by AstrBot, LangBot and
nekro-agent), the CamelCase form (``FromUserName: {"string"|"str": …}``, gewechaty's recording and the
HttpSyncMsg ``AddMsgs`` of some forks) and either wrapped in ``Data``. Everything in a message is hostile
input: XML goes through ``xmlsafe``; nothing here raises on a malformed message (it becomes OTHER).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from drivers.group_notes import bot_removed as _bot_removed
from drivers.group_notes import note_kind as _note_kind
from drivers.group_notes import note_names as _note_names
from drivers.padpro import media, xmlsafe
from drivers.padpro.shapes import contact, integer, pick, text
from drivers.types import (
    Event,
    FriendRequestEvent,
    Group,
    GroupLeftEvent,
    GroupNoteEvent,
    GroupNoteKind,
    MessageEvent,
    MessageKind,
    RecallEvent,
)

SIMPLE_KINDS = {1: MessageKind.TEXT, 3: MessageKind.IMAGE, 34: MessageKind.VOICE, 42: MessageKind.CARD,
                43: MessageKind.VIDEO, 47: MessageKind.EMOJI, 48: MessageKind.LOCATION, 62: MessageKind.VIDEO}
APP_KINDS = {5: MessageKind.LINK, 6: MessageKind.FILE, 57: MessageKind.TEXT, 33: MessageKind.LINK,
             36: MessageKind.LINK, 4: MessageKind.LINK}
IGNORED_TYPES = {51, 9999}  # status notifications (chat opened on the phone), no user content
_SENDER_PREFIX = re.compile(r"^([A-Za-z0-9_\-@.]{1,80}):\n")


@dataclass(frozen=True, slots=True)
class RawMessage:
    msg_id: str
    from_id: str
    to_id: str
    msg_type: int
    content: str
    create_time: int
    msg_source: str
    push_content: str
    short_id: str = ""  # the 32-bit ``msg_id`` next to ``new_msg_id``: what GetMsgBigImg/GetMsgVideo ask for


def _id_of(data: dict[str, Any]) -> str:
    return text(pick(data, "new_msg_id", "NewMsgId", "newMsgId", "msg_id", "MsgId", "msgId", default=""))


def server_id(raw: dict[str, Any]) -> str:
    """A pushed message's server id ('' when it has none), without reading the rest of it."""
    data = pick(raw, "Data", "data", default=raw)
    return _id_of(data) if isinstance(data, dict) else ""


def normalize(raw: dict[str, Any]) -> RawMessage | None:
    data = pick(raw, "Data", "data", default=raw)
    if not isinstance(data, dict):
        return None
    msg_id = _id_of(data)
    if not msg_id:
        return None
    return RawMessage(
        msg_id=msg_id,
        from_id=text(pick(data, "from_user_name", "FromUserName", "fromUserName", default="")),
        to_id=text(pick(data, "to_user_name", "ToUserName", "toUserName", default="")),
        msg_type=integer(pick(data, "msg_type", "MsgType", "msgType", default=0)),
        content=text(pick(data, "content", "Content", default="")),
        create_time=integer(pick(data, "create_time", "CreateTime", "createTime", default=0)),
        msg_source=text(pick(data, "msg_source", "MsgSource", "msgSource", default="")),
        push_content=text(pick(data, "push_content", "PushContent", "pushContent", default="")),
        short_id=text(pick(data, "msg_id", "MsgId", "msgId", default="")))


STATUS_NOTIFY = 51
MAX_NOTIFIED = 500  # chat ids taken from one status notify (the field is the server's)


def notified_chats(raw: dict[str, Any]) -> list[str]:
    """The chat ids a type-51 status notify lists (``<op><username>a,b,…</username>``: the phone's recent chats,
    among them groups the contact list leaves out); [] for any other message. Never raises."""
    msg = normalize(raw)
    if msg is None or msg.msg_type != STATUS_NOTIFY:
        return []
    names = xmlsafe.find_text(xmlsafe.parse(msg.content), "op/username")
    return [n for n in dict.fromkeys(p.strip() for p in names.split(",")) if n][:MAX_NOTIFIED]


MAX_CONTACT_CHANGES = 5000  # entries read from one sync answer (the lists are the gateway's)


def contact_events(data: Any, self_id: str) -> list[Event]:
    """Contact-level evidence in a sync answer that the bot is out of a group: a group in ``DelContacts`` (GeWe's
    recorded ``DelContacts`` callback: ``UserName``, ``DeleteContactScen``), or in ``ModContacts`` with
    ``deleteFlag`` 1 or a member list that lacks the bot. Never raises."""
    if not isinstance(data, dict):
        return []
    found: list[Event] = []
    deleted = pick(data, "DelContacts", "DelContactList", "delContacts", default=[])
    for entry in (deleted if isinstance(deleted, list) else [])[:MAX_CONTACT_CHANGES]:
        wxid = text(pick(entry, "UserName", "userName", "user_name", default="")) if isinstance(entry, dict) \
            else text(entry)
        if wxid.endswith("@chatroom"):
            found.append(GroupLeftEvent(wxid))
    changed = pick(data, "ModContacts", "ModContactList", "modContacts", default=[])
    for entry in (changed if isinstance(changed, list) else [])[:MAX_CONTACT_CHANGES]:
        group = contact(entry) if isinstance(entry, dict) else None
        if not isinstance(group, Group):
            continue
        flagged = integer(pick(entry, "deleteFlag", "DeleteFlag", default=0)) == 1
        lacks_bot = bool(self_id) and bool(group.members) and all(m.id != self_id for m in group.members)
        if flagged or lacks_bot:
            found.append(GroupLeftEvent(group.id))
    return found


def to_events(raw: dict[str, Any], self_id: str) -> list[Event]:
    msg = normalize(raw)
    if msg is None or msg.msg_type in IGNORED_TYPES:
        return []
    group_id = next((i for i in (msg.from_id, msg.to_id) if i.endswith("@chatroom")), "")
    body, sender = msg.content, msg.from_id
    if group_id and msg.from_id == group_id:
        match = _SENDER_PREFIX.match(body)
        sender, body = (match.group(1), body[match.end():]) if match else ("", body)
    chat_id = group_id or (msg.to_id if msg.from_id == self_id else msg.from_id)
    if msg.msg_type == 37:
        return [_friend_request(msg)]
    if msg.msg_type == 10002:
        return _sysmsg(msg, body, chat_id, group_id)
    if msg.msg_type == 10000 and group_id:
        return [_group_note(msg, group_id, body, self_id)]
    return [_message(msg, body, chat_id, sender, bool(group_id), self_id)]


def _message(msg: RawMessage, body: str, chat_id: str, sender: str, is_group: bool, self_id: str) -> MessageEvent:
    kind = SIMPLE_KINDS.get(msg.msg_type, MessageKind.SYSTEM if msg.msg_type == 10000 else MessageKind.OTHER)
    fields: dict[str, Any] = {}
    text_value = body if msg.msg_type in (1, 10000) else ""
    app_type = 0
    if msg.msg_type == 49:
        root = xmlsafe.parse(body)
        app_type = integer(xmlsafe.find_text(root, "appmsg/type"))
        kind = APP_KINDS.get(app_type, MessageKind.OTHER)
        title = xmlsafe.find_text(root, "appmsg/title")
        text_value = title
        fields.update(url=xmlsafe.find_text(root, "appmsg/url"), md5=xmlsafe.find_text(root, "appmsg/md5"))
        if kind is MessageKind.FILE:
            fields.update(file_name=title, file_size=integer(xmlsafe.find_text(root, "appmsg/appattach/totallen")))
    elif msg.msg_type in (3, 47):
        root = xmlsafe.parse(body)
        fields["md5"] = xmlsafe.attr(root, "img" if msg.msg_type == 3 else "emoji", "md5")
    mentioned: tuple[str, ...] = ()
    if is_group and msg.msg_source:
        at_list = xmlsafe.find_text(xmlsafe.parse(msg.msg_source), "atuserlist")
        mentioned = tuple(i for i in (p.strip() for p in at_list.split(",")) if i)
    mentions_self = bool(self_id) and (self_id in mentioned or "在群聊中@了你" in msg.push_content)
    ref = media.ref_for(msg.msg_type, app_type, msg.short_id or msg.msg_id, msg.msg_id, msg.from_id, msg.to_id, body)
    return MessageEvent(msg_id=msg.msg_id, kind=kind, chat_id=chat_id, sender_id=sender, is_group=is_group,
                        text=text_value, create_time=msg.create_time, mentions_self=mentions_self,
                        mentioned_ids=mentioned, raw_type=msg.msg_type, app_type=app_type, raw=body,
                        media_ref=ref, **fields)


def _friend_request(msg: RawMessage) -> FriendRequestEvent:
    root = xmlsafe.parse(msg.content)
    get = lambda name: xmlsafe.attr(root, ".", name)  # noqa: E731 - a local shorthand
    return FriendRequestEvent(msg_id=msg.msg_id, user_id=get("fromusername"), nick_name=get("fromnickname"),
                              text=get("content"), ticket=get("ticket"), encrypt_user=get("encryptusername"),
                              scene=integer(get("scene")), create_time=msg.create_time)


def _group_note(msg: RawMessage, group_id: str, note: str, self_id: str = "") -> GroupNoteEvent:
    if _bot_removed(note):  # the bot is the one who left; the name in the note is the remover's
        return GroupNoteEvent(msg_id=msg.msg_id, group_id=group_id, kind=GroupNoteKind.LEAVE, text=note,
                              member_ids=(self_id,) if self_id else (), create_time=msg.create_time)
    kind = _note_kind(note)
    return GroupNoteEvent(msg_id=msg.msg_id, group_id=group_id, kind=kind, text=note,
                          member_names=_note_names(note, kind), create_time=msg.create_time)


def _template_text(template: Any) -> str:
    """The note a template shows: each ``$name$`` replaced by its link's nicknames (``群主"$identity$"已解散该群聊``
    → ``群主"Owner"已解散该群聊``), joined by the link's ``<separator>`` (、 when none)."""
    note = xmlsafe.find_text(template, "template")
    for link in template.findall(".//link")[:20]:
        name = link.get("name", "")
        if name and f"${name}$" in note:
            nicks = [xmlsafe.find_text(m, "nickname") for m in link.findall(".//member")[:100]]
            note = note.replace(f"${name}$", (xmlsafe.find_text(link, "separator") or "、").join(nicks))
    return note


def _sysmsg(msg: RawMessage, body: str, chat_id: str, group_id: str) -> list[Event]:
    """10002: recalls (``revokemsg``) and, in groups, template notes for invitations and removals."""
    root = xmlsafe.parse(body)
    kind = xmlsafe.attr(root, ".", "type")
    if kind == "revokemsg":
        recalled = xmlsafe.find_text(root, "revokemsg/newmsgid") or xmlsafe.find_text(root, "revokemsg/msgid")
        return [RecallEvent(msg_id=msg.msg_id, chat_id=xmlsafe.find_text(root, "revokemsg/session") or chat_id,
                            recalled_msg_id=recalled, text=xmlsafe.find_text(root, "revokemsg/replacemsg"),
                            create_time=msg.create_time)]
    template = root.find(".//sysmsgtemplate/content_template") if root is not None else None
    if group_id and template is not None:
        note_kind = {"tmpl_type_profilewithrevoke": GroupNoteKind.JOIN,
                     "tmpl_type_profile": GroupNoteKind.LEAVE}.get(template.get("type", ""), GroupNoteKind.OTHER)
        link_name = "names" if note_kind is GroupNoteKind.JOIN else "kickoutname"
        found = template.findall(f".//link[@name='{link_name}']//member")
        return [GroupNoteEvent(
            msg_id=msg.msg_id, group_id=group_id, kind=note_kind, text=_template_text(template),
            member_names=tuple(xmlsafe.find_text(m, "nickname") for m in found),
            member_ids=tuple(i for i in (xmlsafe.find_text(m, "username") for m in found) if i),
            create_time=msg.create_time)]
    return [MessageEvent(msg_id=msg.msg_id, kind=MessageKind.SYSTEM, chat_id=chat_id, sender_id="",
                         is_group=bool(group_id), create_time=msg.create_time, raw_type=msg.msg_type, raw=body)]
