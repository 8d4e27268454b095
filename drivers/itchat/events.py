"""A wxpy Message → the seam's neutral event (drivers.types), with the puids of the indexed puid map as ids.

The one place the itchat driver turns what webwxsync delivered into the product's plain data: a message
(``MessageEvent``, carrying the wxpy Message as ``native`` for community ``export()`` plugins), a friend request
(37), a group note (10000 in a group), a recall (10002), and the status notify (51) as ``ChatsListedEvent``.
Lookups go through the bot's ChatDirectory (no wxpy Chat objects are built for known chats).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from drivers.group_notes import bot_removed, note_kind, note_names
from drivers.itchat.contacts import MEMBER_BATCH
from drivers.itchat.directory import ChatDirectory
from drivers.itchat.inbound import mp_articles
from drivers.types import (
    ChatsListedEvent,
    Event,
    FriendRequestEvent,
    GroupLeftEvent,
    GroupNoteEvent,
    GroupNoteKind,
    MessageEvent,
    MessageKind,
    RecallEvent,
)

MSG_ID = re.compile(r"[0-9]{1,32}")  # ASCII digits only (\d also takes full-width ones)
MAX_NOTIFIED = 500  # chat names taken from one status notify (the field is the server's)
KINDS = {"Text": MessageKind.TEXT, "Picture": MessageKind.IMAGE, "Recording": MessageKind.VOICE,
         "Video": MessageKind.VIDEO, "Attachment": MessageKind.FILE, "Sharing": MessageKind.LINK,
         "Card": MessageKind.CARD, "Map": MessageKind.LOCATION, "Note": MessageKind.SYSTEM,
         "System": MessageKind.SYSTEM, "Friends": MessageKind.OTHER}
MEDIA_KINDS = {MessageKind.IMAGE, MessageKind.VOICE, MessageKind.VIDEO, MessageKind.FILE, MessageKind.EMOJI}
# Bounded and anchored on literal tags: the content is hostile input and may be long.
_RECALLED = re.compile(r"<msgid>\s*([0-9]{1,30})\s*</msgid>")
_OLD_RECALLED = re.compile(r"<oldmsgid>\s*([0-9]{1,30})\s*</oldmsgid>")


def msg_id_of(raw: dict) -> str:
    """The message's MsgId, or "" when the server sent anything but a plain decimal number."""
    msg_id = str(raw.get("MsgId") or raw.get("NewMsgId") or "")
    return msg_id if MSG_ID.fullmatch(msg_id) else ""


def kind_of(raw: dict) -> MessageKind:
    if raw.get("MsgType") == 47:
        return MessageKind.EMOJI
    if raw.get("MsgType") == 10000:
        return MessageKind.SYSTEM
    return KINDS.get(raw.get("Type"), MessageKind.OTHER)


SYSTEM_TYPE = "System"  # wxpy's SYSTEM: itchat's own messages, e.g. the ModContactList of groups ("chatrooms")


def to_events(msg: Any, directory: ChatDirectory) -> list[Event]:
    """Every neutral event of one wxpy Message: the message's (``to_event``), or for itchat's "chatrooms" System
    message (its ModContactList of groups, applied to the local lists) a ``GroupLeftEvent`` per group whose member
    list no longer holds the bot (web WeChat sends the changed group with its members; an empty list says
    nothing: a dissolved group's may be empty)."""
    raw = msg.raw
    if raw.get("Type") == SYSTEM_TYPE:  # itchat's own notices: only its group changes carry evidence
        return groups_without_bot(msg, directory) if raw.get("SystemInfo") == "chatrooms" else []
    event = to_event(msg, directory)
    return [event] if event is not None else []


def groups_without_bot(msg: Any, directory: ChatDirectory) -> list[Event]:
    names = raw_names if isinstance(raw_names := msg.raw.get("Text"), list) else []
    me = msg.bot.self.user_name
    search = msg.bot.core.storageClass.search_chatrooms
    found: list[Event] = []
    for user_name in [n for n in names if isinstance(n, str)][:MAX_NOTIFIED]:
        room = search(userName=user_name)
        members = (room or {}).get("MemberList") or []
        if not members or any(m.get("UserName") == me for m in members):
            continue
        try:
            puid = directory.chat(user_name, lambda name=user_name: msg.bot.groups().search(user_name=name)[0]).puid
        except (IndexError, LookupError):
            puid = None
        if puid:
            found.append(GroupLeftEvent(puid))
    return found


def to_event(msg: Any, directory: ChatDirectory) -> Event | None:
    """The neutral event of one wxpy Message (None: nothing the product handles)."""
    raw = msg.raw
    me = msg.bot.self
    msg_type = raw.get("MsgType")
    created = int(raw.get("CreateTime") or 0)
    msg_id = msg_id_of(raw)
    if msg_type == 51:
        return status_notify_event(msg, directory)
    if msg_type == 37:
        info = raw.get("RecommendInfo") or {}
        user_name = info.get("UserName", "")
        puid = directory.member_puid(user_name, lambda: msg.card) if user_name else None
        return FriendRequestEvent(msg_id=str(msg.id), user_id=puid or user_name,
                                  nick_name=info.get("NickName", "") or "",
                                  text=info.get("Content", "") or (msg.text if isinstance(msg.text, str) else ""),
                                  ticket=info.get("Ticket", "") or "", encrypt_user=user_name,
                                  scene=int(info.get("Scene") or 0), create_time=created, native=msg)
    outgoing = raw.get("FromUserName") == me.user_name
    chat_user = (raw.get("ToUserName") if outgoing else raw.get("FromUserName")) or ""
    chat = directory.chat(chat_user, lambda: msg.chat)
    chat_id = chat.puid or ""
    is_group = chat.kind == "group"
    text = msg.text if isinstance(msg.text, str) else ""
    if msg_type == 10002:
        content = raw.get("Content") or ""
        found = (_RECALLED.search(content) or _OLD_RECALLED.search(content)) if "revokemsg" in content else None
        return RecallEvent(msg_id=msg_id, chat_id=chat_id, recalled_msg_id=found.group(1) if found else "",
                           text=text, create_time=created, native=msg)
    if msg_type == 10000 and is_group:
        if bot_removed(text):
            return GroupNoteEvent(msg_id=msg_id, group_id=chat_id, kind=GroupNoteKind.LEAVE, text=text,
                                  member_ids=(me.puid,) if me.puid else (), create_time=created, native=msg)
        kind = note_kind(text)
        return GroupNoteEvent(msg_id=msg_id, group_id=chat_id, kind=kind, text=text,
                              member_names=note_names(text, kind), create_time=created, native=msg)
    if outgoing:
        sender_id = me.puid or ""
    elif is_group:
        actual = raw.get("ActualUserName") or ""
        sender_id = directory.member_puid(actual, lambda: msg.member) or "" if actual else ""
    else:
        sender_id = chat_id
    kind = kind_of(raw)
    if chat.kind == "self":  # a note to oneself (filehelper aside): the chat is the bot
        chat_id = me.puid or ""
    return MessageEvent(
        msg_id=msg_id, kind=kind, chat_id=chat_id, sender_id=sender_id, is_group=is_group, text=text,
        create_time=created, mentions_self=bool(raw.get("IsAt") or raw.get("isAt")),  # itchat writes isAt
        file_name=raw.get("FileName") or "",
        file_size=int(raw.get("FileSize") or 0) if str(raw.get("FileSize") or "").isdigit() else 0,
        url=raw.get("Url") or "", raw_type=int(msg_type or 0), app_type=int(raw.get("AppMsgType") or 0),
        raw=raw.get("Content") or "", media_ref=msg_id if kind in MEDIA_KINDS and msg_id else "",
        articles=tuple(mp_articles(raw.get("Content"))) if kind is MessageKind.LINK and chat.kind == "mp" else (),
        native=msg)


def notified_group_names(names: str, known: Iterable[str], limit: int = MAX_NOTIFIED) -> list[str]:
    """The group UserNames in a status notify's (type 51) StatusNotifyUserName that the bot does not hold yet:
    the chats open on the phone, which may include groups no list shows. Bounded: the field is the server's."""
    held = set(known)
    found = [name for name in dict.fromkeys((names or "").split(",")) if name.startswith("@@") and name not in held]
    return found[:limit]


def listed_groups(raw: dict, core: Any, directory: ChatDirectory, fetch_batch: int) -> tuple[tuple[str, str], ...]:
    """The groups a status notify (type 51) names, fetched from WeChat when itchat lacks them (web WeChat lists
    only groups saved to contacts; ItChat issue 89), as (puid, name)."""
    from wxpy import Group

    names = notified_group_names(raw.get("StatusNotifyUserName") or "",
                                 (room.get("UserName") for room in core.chatroomList))
    for start in range(0, len(names), fetch_batch):
        core.update_chatroom(names[start:start + fetch_batch], detailedMember=False)
    rooms = {room.get("UserName"): room for room in core.chatroomList}
    found = []
    for name in names:
        if name in rooms:
            info = directory.chat(name, lambda room=rooms[name]: Group(room, directory.bot))
            if info.puid:
                found.append((info.puid, info.name))
    return tuple(found)


def status_notify_event(msg: Any, directory: ChatDirectory) -> ChatsListedEvent:
    raw = msg.raw
    groups = listed_groups(raw, msg.bot.core, directory, MEMBER_BATCH)
    return ChatsListedEvent(msg_id=msg_id_of(raw), groups=groups, create_time=int(raw.get("CreateTime") or 0))
