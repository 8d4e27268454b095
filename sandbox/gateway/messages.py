"""Gateway face: sending text, images, emoji and app messages; ``HttpSyncMsg``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from flask import Response

from sandbox.events import Message, next_msg_id
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.media import sent_file
from sandbox.gateway.state import GatewaySession
from sandbox.gateway.web import (
    body,
    bp,
    entity,
    envelope,
    ok,
    require_allowed,
    require_live,
    sandbox,
    text_list,
)
from sandbox.media import Media, guess_mime
from sandbox.protocol_util import RET_NOT_REACHABLE
from sandbox.world import SELF_ID

MAX_IMAGE_BYTES = 20 * 1024 * 1024
SYNC_BATCH = 500


def _target(session: GatewaySession, wxid: Any) -> tuple[str | None, str, int]:
    """(stable id, '', 0) for a recipient the bot can write to, else (None, reason, ret).

    WeChat delivers only to friends, groups, MPs and the file helper: a stranger (a group member who is not a
    friend) or the bot itself is refused with the web service's Ret 1204 (no recorded gateway answer names its own
    code; docs/SANDBOX.md lists this as a guess)."""
    to_id = entity(session, str(wxid or ""))
    if to_id is None:
        return None, "unknown ToUserName", -1
    world = sandbox().world
    group = world.groups.get(to_id)
    if group is not None and not group.has(SELF_ID):
        return None, "the bot is not in this group", -1
    if to_id == SELF_ID:
        return None, "sending to oneself", RET_NOT_REACHABLE
    person = world.people.get(to_id)
    if person is not None and not person.is_friend:
        return None, "not a friend", RET_NOT_REACHABLE
    return to_id, "", 0


def _failed_item(wxid: Any, reason: str, ret: int = -1) -> dict[str, Any]:
    return {"isSendSuccess": False, "toUSerName": str(wxid or ""), "errMsg": reason,
            "resp": {"baseResponse": {"ret": ret, "errMsg": render.s(reason)}}}


def _no_check(item: dict[str, Any]) -> tuple[Any, str]:
    return None, ""


def _send_each(list_key: str, send: Callable[[GatewaySession, str, dict[str, Any], Any], dict[str, Any]],
               check: Callable[[dict[str, Any]], tuple[Any, str]] = _no_check) -> Response:
    """One send endpoint: each item of ``list_key`` goes to its ToUserName or fails on its own.

    ``check`` validates an item with a known recipient, giving (what ``send`` needs, '') or (None, reason).
    Hitting the rate limit ends the whole request with the limit's answer; the items before it stay sent.
    """
    session = require_live()
    items = body().get(list_key)
    if not isinstance(items, list) or not items:
        return envelope(-1, None, f"{list_key} is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason, ret = _target(session, item.get("ToUserName"))
        checked = None
        if to_id is not None:
            checked, reason = check(item)
        if to_id is None or reason:
            results.append(_failed_item(item.get("ToUserName"), reason, ret or -1))
            continue
        require_allowed()
        results.append(send(session, to_id, item, checked))
    return ok(results)


def _send_text(session: GatewaySession, to_id: str, item: dict[str, Any], _: Any) -> dict[str, Any]:
    sb = sandbox()
    text = str(item.get("TextContent", ""))
    group = sb.world.groups.get(to_id)
    mentioned = [entity(session, w) for w in text_list(item.get("AtWxIDList"))]
    mentions = [sb.world.people[m].nick_name for m in mentioned
                if m and group is not None and group.has(m)]
    sb.record("text", to_id, session, content=text, msg_type=1, mentions=mentions)
    return render.send_ack(sb.world, to_id, text, next_msg_id())


def _check_image(item: dict[str, Any]) -> tuple[bytes | None, str]:
    try:
        data = base64.b64decode(str(item.get("ImageContent", "")), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or len(data) > MAX_IMAGE_BYTES:
        return None, "ImageContent is not an image"
    return data, ""


def _send_image(session: GatewaySession, to_id: str, item: dict[str, Any], data: bytes) -> dict[str, Any]:
    sb = sandbox()
    media = Media(data, "image.png", guess_mime("image.png"))
    media_id = sb.media.put(media)
    sb.record("image", to_id, session, media_id=media_id, file_name=media.name, size=len(data), md5=media.md5)
    msg_id = next_msg_id()
    return {"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "msgId": msg_id % 2_000_000_000,
            "newMsgId": msg_id, "resp": {"baseResponse": {"ret": 0, "errMsg": {}},
                                         "totalLen": len(data), "newMsgId": msg_id}}


def _check_emoji(item: dict[str, Any]) -> tuple[str | None, str]:
    md5 = str(item.get("EmojiMd5", ""))
    return (md5, "") if len(md5) == 32 else (None, "EmojiMd5 must be 32 hex digits")


def _send_emoji(session: GatewaySession, to_id: str, item: dict[str, Any], md5: str) -> dict[str, Any]:
    sb = sandbox()
    size = item.get("EmojiSize")
    sb.record("emoticon", to_id, session, md5=md5, size=size if isinstance(size, int) else 0)
    msg_id = next_msg_id()
    return {"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id,
            "emojiItem": [{"ret": 0, "md5": md5, "newMsgId": msg_id}]}


def _check_app(item: dict[str, Any]) -> tuple[Any, str]:
    """A file (appmsg type 6) must name an uploaded attachment (``/other/UploadAppAttach``); others pass."""
    content = str(item.get("ContentXML", ""))
    if item.get("ContentType") != 6 and "<type>6</type>" not in content:
        return False, ""
    media = sent_file(content)
    return (media, "") if media is not None else (None, "unknown attachid (upload it with /other/UploadAppAttach)")


def _send_app(session: GatewaySession, to_id: str, item: dict[str, Any], media: Any) -> dict[str, Any]:
    sb = sandbox()
    if isinstance(media, Media):
        sb.record("file", to_id, session, file_name=media.name, size=media.size, md5=media.md5)
    else:
        sb.record("app", to_id, session, content=str(item.get("ContentXML", "")))
    msg_id = next_msg_id()
    return {"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id}


@bp.post("/message/SendTextMessage")
def send_text_message() -> Response:
    return _send_each("MsgItem", _send_text)


@bp.post("/message/SendImageNewMessage")
@bp.post("/message/SendImageMessage")
def send_image_message() -> Response:
    return _send_each("MsgItem", _send_image, _check_image)


@bp.post("/message/SendEmojiMessage")
def send_emoji_message() -> Response:
    return _send_each("EmojiList", _send_emoji, _check_emoji)


@bp.post("/message/SendAppMessage")
def send_app_message() -> Response:
    return _send_each("AppList", _send_app, _check_app)


def pending_entries(session: GatewaySession, limit: int) -> tuple[list[dict[str, Any]], list]:
    """Messages after the session's position and the log entries read, advancing it (contact changes are not
    pushed on the WebSocket: a sync answer carries them)."""
    sb = sandbox()
    entries = sb.log.since(session.position, limit)
    start = session.position
    session.position = min(session.position, sb.log.position) + len(entries)
    notify = session.take_status_notify()
    return ([notify] if notify else []) + [render.message(sb.world, e, start + n + 1)
                                           for n, e in enumerate(entries) if isinstance(e, Message)], entries


@bp.post("/message/HttpSyncMsg")
def http_sync_msg() -> Response:
    session = require_live()
    count = body().get("Count", 0)
    limit = count if isinstance(count, int) and 0 < count <= SYNC_BATCH else SYNC_BATCH
    messages, entries = pending_entries(session, limit)
    return ok({"AddMsgs": messages, **render.contact_changes(sandbox().world, entries)})


def _position_of(session: GatewaySession, key: Any) -> int:
    """The log position a sync key names; an empty, foreign or stale key reads from the login's start (as the
    real gateway re-sends everything since the login after its own restart: WeChatPadPro issues 37, 173)."""
    position = render.position_of_key(key)
    if position is None or not session.login_position <= position <= sandbox().log.position:
        return session.login_position
    return position


@bp.post("/other/GetRedisSyncMsg")
def get_redis_sync_msg() -> Response:
    """A sync from the client's own key (``Key`` in, the next ``Key`` out, ``ContinueFlag`` 1 when more): it reads
    without moving the push position, so a client that kept the key of what it stored reads the rest again."""
    session = require_live()
    sb = sandbox()
    start = _position_of(session, body().get("Key"))
    entries = sb.log.since(start, SYNC_BATCH)
    end = start + len(entries)
    messages = [render.message(sb.world, e, start + n + 1) for n, e in enumerate(entries) if isinstance(e, Message)]
    return ok({"AddMsgs": messages, **render.contact_changes(sb.world, entries), "Key": render.sync_key_of(end),
               "ContinueFlag": 1 if end < sb.log.position else 0})
