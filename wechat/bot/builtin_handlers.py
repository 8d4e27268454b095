"""Handlers every bot gets. Feature modules register theirs with @message_handler in their own module."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from drivers.group_notes import group_dissolved
from drivers.types import (
    ChatsListedEvent,
    FriendRequestEvent,
    GroupLeftEvent,
    GroupNoteEvent,
    MessageEvent,
    RecallEvent,
)
from extensions import db
from models.types import utcnow
from wechat.automation.notes import bot_removed_from_group
from wechat.bot.dispatch import BotContext, message_handler, on_batch_start
from wechat.bot.state import BotState
from wechat.plugins import config_cache
from wechat.sync.group_presence import groups_active, mark_group_left

FRIEND_REQUEST_TTL = 3 * 24 * 3600


@on_batch_start("config_cache")
def see_settings_changes(ctx: BotContext) -> None:
    """Cached plugin switches, auto-reply rules and automation settings: changed since the last batch?"""
    config_cache.refresh(ctx.state.client)


@message_handler("metrics.received", priority=-100)
def count_received(event, ctx: BotContext) -> None:
    """Every message WeChat delivers to the bot (the archive's messages_stored is counted where it stores); sent to
    Redis once per batch, with the batch's events."""
    if isinstance(event, MessageEvent | FriendRequestEvent | GroupNoteEvent | RecallEvent | ChatsListedEvent):
        ctx.batch.count("messages_received")


@message_handler("status_notify_groups", priority=10)
def learn_listed_groups(event, ctx: BotContext) -> None:
    """The phone listed chats (itchat's type-51 status notify), among them groups no list shows (web WeChat lists
    only groups saved to contacts; ItChat issue 89): the driver fetched them, the account stores them."""
    if not isinstance(event, ChatsListedEvent) or not event.groups:
        return
    now = utcnow()
    seen = {group_id: (name, now) for group_id, name in event.groups if group_id}
    if seen:
        ctx.directory().forget()  # the driver's lists grew
        groups_active(ctx.account_id(), seen, clear_left=False)  # the phone listing a chat is not a message
        db.session.commit()


@message_handler("bot_removed_notes", priority=10)
def mark_left_on_evidence(event, ctx: BotContext) -> None:
    """The service says the bot is out of a group: a note that it was removed (你被"X"移出群聊 / You were removed
    from the group chat by "X") or that the owner dissolved the group (群主"X"已解散该群聊), both marked over any
    earlier mark; or contact-level evidence (the group deleted from the contacts, or changed without the bot:
    ``GroupLeftEvent``), recorded only for a group not marked left yet (a dissolved group is deleted too)."""
    if isinstance(event, GroupLeftEvent) and event.group_id:
        mark_group_left(ctx.account_id(), event.group_id, event.reason.value, _when(event.create_time),
                        keep_existing=True)
        return
    if not isinstance(event, GroupNoteEvent) or not event.group_id:
        return
    text = event.text or ""
    reason = "removed" if bot_removed_from_group(text) else "dissolved" if group_dissolved(text) else None
    if reason is not None:
        mark_group_left(ctx.account_id(), event.group_id, reason, _when(event.create_time))


def _when(created: int) -> datetime | None:
    return datetime.fromtimestamp(created, UTC) if created else None


@message_handler("friend_requests", priority=10)
def remember_friend_request(event, ctx: BotContext) -> None:
    """Keep incoming friend requests in Redis so the dashboard can list and accept them, with what accepting needs
    (the driver's ticket, scene, encrypted id; on itchat the requester's puid is the id and this login's UserName
    the encrypt_user)."""
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
