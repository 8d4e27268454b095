"""Handlers every bot gets. Feature modules register theirs with @message_handler in their own module."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from extensions import db
from models.types import utcnow
from wechat.automation.notes import bot_removed_from_group
from wechat.dispatch import BotContext, event_handler, message_handler, on_batch_start
from wechat.driver_factory import itchat
from wechat.plugins import config_cache
from wechat.state import BotState
from wechat.sync.group_presence import groups_active, mark_group_left, notified_group_names

FRIEND_REQUEST_TTL = 3 * 24 * 3600


@on_batch_start("config_cache")
def see_settings_changes(ctx: BotContext) -> None:
    """Cached plugin switches, auto-reply rules and automation settings: changed since the last batch?"""
    config_cache.refresh(ctx.state.client)


@message_handler("metrics.received", priority=-100)
def count_received(msg, ctx: BotContext) -> None:
    """Every message WeChat delivers to the bot (the archive's messages_stored is counted where it stores); sent to
    Redis once per batch, with the batch's events."""
    ctx.batch.count("messages_received")


@message_handler("status_notify_groups", priority=10)
def learn_notified_groups(msg, ctx: BotContext) -> None:
    """The status notify (type 51) names the chats open on the phone, among them groups no list shows (web WeChat
    lists only groups saved to contacts; ItChat issue 89): fetch the ones itchat lacks and store them."""
    raw = msg.raw
    if raw.get("MsgType") != 51:
        return
    from wxpy import Group

    bot = ctx.bot
    core = bot.core
    names = notified_group_names(raw.get("StatusNotifyUserName") or "",
                                 (room.get("UserName") for room in core.chatroomList))
    for start in range(0, len(names), itchat.MEMBER_BATCH):
        core.update_chatroom(names[start:start + itchat.MEMBER_BATCH], detailedMember=False)
    rooms = {room.get("UserName"): room for room in core.chatroomList}
    directory, now, seen = ctx.directory(), utcnow(), {}
    for name in names:
        if name in rooms:
            info = directory.chat(name, lambda room=rooms[name]: Group(room, bot))
            if info.puid:
                seen[info.puid] = (info.name, now)
    if seen:
        groups_active(ctx.account_id(), seen, clear_left=False)  # the phone listing a chat is not a message
        db.session.commit()


@message_handler("bot_removed_notes", priority=10)
def mark_left_when_removed(msg, ctx: BotContext) -> None:
    """你被"X"移出群聊 / You were removed from the group chat by X: evidence that the bot left the group."""
    raw = msg.raw
    if raw.get("MsgType") != 10000 or not bot_removed_from_group(msg.text if isinstance(msg.text, str) else ""):
        return
    chat = ctx.directory().chat(raw.get("FromUserName") or "", lambda: msg.chat)
    if chat.kind == "group" and chat.puid:
        created = int(raw.get("CreateTime") or 0)
        mark_group_left(ctx.account_id(), chat.puid, "removed",
                        datetime.fromtimestamp(created, UTC) if created else None)


@event_handler("bot_removed_notes")
def mark_left_when_removed_event(event, ctx: BotContext) -> None:
    """A seam driver's group note saying the bot was removed (你被"X"移出群聊 / You were removed from the group chat
    by "X", as the gateway pushes it): the group is marked left, as on the itchat path."""
    from drivers.types import GroupNoteEvent

    if not isinstance(event, GroupNoteEvent) or not event.group_id or not bot_removed_from_group(event.text or ""):
        return
    created = int(event.create_time or 0)
    mark_group_left(ctx.account_id(), event.group_id, "removed",
                    datetime.fromtimestamp(created, UTC) if created else None)


@message_handler("friend_requests", priority=10)
def remember_friend_request(msg, ctx: BotContext) -> None:
    """Keep incoming friend requests in Redis so the dashboard can list and accept them."""
    if msg.raw.get("MsgType") != 37:
        return
    info = msg.raw.get("RecommendInfo", {})
    # Kept under the requester's puid, like a seam driver's stable id (the one command table finds it by that);
    # accepting needs this login's UserName, kept as encrypt_user.
    user_name = info.get("UserName", "")
    puid = ctx.directory().member_puid(user_name, lambda: msg.card) if user_name else None
    request = {
        "id": str(msg.id), "user_name": puid or user_name, "nick_name": info.get("NickName", ""),
        "text": info.get("Content", "") or msg.text or "", "ticket": info.get("Ticket", ""),
        "encrypt_user": user_name, "scene": int(info.get("Scene") or 0), "time": time.time(),
    }
    key = ctx.state.key("friend_requests")
    ctx.state.client.hset(key, request["id"], json.dumps(request, ensure_ascii=False))
    ctx.state.client.expire(key, FRIEND_REQUEST_TTL)


@event_handler("metrics.received")
def count_received_event(event, ctx: BotContext) -> None:
    from drivers.types import FriendRequestEvent, GroupNoteEvent, MessageEvent, RecallEvent

    if isinstance(event, MessageEvent | FriendRequestEvent | GroupNoteEvent | RecallEvent):
        ctx.batch.count("messages_received")


@event_handler("friend_requests")
def remember_friend_request_event(event, ctx: BotContext) -> None:
    """A seam driver's friend request, with what accepting it needs (the driver's ticket, scene, encrypted id)."""
    from drivers.types import FriendRequestEvent

    if not isinstance(event, FriendRequestEvent):
        return
    request = {"id": str(event.msg_id), "user_name": event.user_id, "nick_name": event.nick_name,
               "text": event.text, "ticket": event.ticket, "encrypt_user": event.encrypt_user,
               "scene": event.scene, "time": time.time()}
    key = ctx.state.key("friend_requests")
    ctx.state.client.hset(key, request["id"], json.dumps(request, ensure_ascii=False))
    ctx.state.client.expire(key, FRIEND_REQUEST_TTL)


def friend_request_event(state: BotState, user_id: str):
    """The newest stored request of `user_id` as the seam's FriendRequestEvent (None: none is stored)."""
    from drivers.types import FriendRequestEvent

    for request in friend_requests(state):
        if request.get("user_name") == user_id:
            return FriendRequestEvent(msg_id=request["id"], user_id=user_id, nick_name=request.get("nick_name", ""),
                                      text=request.get("text", ""), ticket=request.get("ticket", ""),
                                      encrypt_user=request.get("encrypt_user", ""),
                                      scene=int(request.get("scene") or 0))
    return None


def friend_requests(state: BotState) -> list[dict]:
    raw = state.client.hgetall(state.key("friend_requests"))
    return sorted((json.loads(v) for v in raw.values()), key=lambda r: r["time"], reverse=True)
