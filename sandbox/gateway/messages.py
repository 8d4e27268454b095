"""Gateway face: sending text, images, emoji and app messages; ``HttpSyncMsg``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response

from sandbox.events import Message, next_msg_id
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.state import GatewaySession
from sandbox.gateway.web import (
    body,
    bp,
    entity,
    envelope,
    limited,
    live,
    ok,
    sandbox,
    text_list,
)
from sandbox.media import Media, guess_mime
from sandbox.world import SELF_ID

MAX_IMAGE_BYTES = 20 * 1024 * 1024
SYNC_BATCH = 500


def _target(session: GatewaySession, wxid: Any) -> tuple[str | None, str]:
    """(stable id, '') for a recipient the bot can write to, else (None, reason)."""
    to_id = entity(session, str(wxid or ""))
    if to_id is None:
        return None, "unknown ToUserName"
    group = sandbox().world.groups.get(to_id)
    if group is not None and not group.has(SELF_ID):
        return None, "the bot is not in this group"
    return to_id, ""


def _failed_item(wxid: Any, reason: str) -> dict[str, Any]:
    return {"isSendSuccess": False, "toUSerName": str(wxid or ""), "errMsg": reason,
            "resp": {"baseResponse": {"ret": -1, "errMsg": render.s(reason)}}}


@bp.post("/message/SendTextMessage")
def send_text_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("MsgItem")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "MsgItem is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        if to_id is None:
            results.append(_failed_item(item.get("ToUserName"), reason))
            continue
        limit = limited()
        if limit:
            return limit
        text = str(item.get("TextContent", ""))
        group = sb.world.groups.get(to_id)
        mentioned = [entity(session, w) for w in text_list(item.get("AtWxIDList"))]
        mentions = [sb.world.people[m].nick_name for m in mentioned
                    if m and group is not None and group.has(m)]
        sb.record("text", to_id, session, content=text, msg_type=1, mentions=mentions)
        results.append(render.send_ack(sb.world, to_id, text, next_msg_id()))
    return ok(results)


@bp.post("/message/SendImageNewMessage")
@bp.post("/message/SendImageMessage")
def send_image_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("MsgItem")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "MsgItem is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        try:
            data = base64.b64decode(str(item.get("ImageContent", "")), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if to_id is None or not data or len(data) > MAX_IMAGE_BYTES:
            results.append(_failed_item(item.get("ToUserName"), reason or "ImageContent is not an image"))
            continue
        limit = limited()
        if limit:
            return limit
        media = Media(data, "image.png", guess_mime("image.png"))
        media_id = sb.media.put(media)
        sb.record("image", to_id, session, media_id=media_id, file_name=media.name, size=len(data), md5=media.md5)
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "msgId": msg_id % 2_000_000_000,
                        "newMsgId": msg_id, "resp": {"baseResponse": {"ret": 0, "errMsg": {}},
                                                     "totalLen": len(data), "newMsgId": msg_id}})
    return ok(results)


@bp.post("/message/SendEmojiMessage")
def send_emoji_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("EmojiList")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "EmojiList is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        md5 = str(item.get("EmojiMd5", ""))
        if to_id is None or len(md5) != 32:
            results.append(_failed_item(item.get("ToUserName"), reason or "EmojiMd5 must be 32 hex digits"))
            continue
        limit = limited()
        if limit:
            return limit
        size = item.get("EmojiSize")
        sb.record("emoticon", to_id, session, md5=md5, size=size if isinstance(size, int) else 0)
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id,
                        "emojiItem": [{"ret": 0, "md5": md5, "newMsgId": msg_id}]})
    return ok(results)


@bp.post("/message/SendAppMessage")
def send_app_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("AppList")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "AppList is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        if to_id is None:
            results.append(_failed_item(item.get("ToUserName"), reason))
            continue
        limit = limited()
        if limit:
            return limit
        sb.record("app", to_id, session, content=str(item.get("ContentXML", "")))
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id})
    return ok(results)


def pending_messages(session: GatewaySession, limit: int) -> list[dict[str, Any]]:
    """Messages after the session's position (contact changes are not pushed: clients re-list), advancing it."""
    sb = sandbox()
    entries = sb.log.since(session.position, limit)
    start = session.position
    session.position = min(session.position, sb.log.position) + len(entries)
    return [render.message(sb.world, e, start + n + 1) for n, e in enumerate(entries) if isinstance(e, Message)]


@bp.post("/message/HttpSyncMsg")
def http_sync_msg() -> Response:
    session, error = live()
    if error:
        return error
    count = body().get("Count", 0)
    limit = count if isinstance(count, int) and 0 < count <= SYNC_BATCH else SYNC_BATCH
    return ok({"AddMsgs": pending_messages(session, limit)})
