"""The message archive: every message the bot sees is stored once (by WeChat MsgId), media saved to disk.

Runs first among the message handlers, in the bot's process. A message is committed before the dispatcher reports
it handled, which is what lets the session checkpoint move the SyncKey past it (libs/wx/checkpoint.py).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError

from extensions import db
from libs import metrics
from libs.emoji_markup import normalize_emoji
from libs.events import publish
from libs.uploads import sanitize_name
from libs.wx.directory import ChatDirectory, ChatInfo
from models.message import Message
from wechat.dispatch import BotContext, MustNotLose, message_handler
from wechat.notifications import message_arrived

logger = logging.getLogger(__name__)

WXPY_TYPES = {"Text": "text", "Picture": "picture", "Recording": "recording", "Video": "video",
              "Attachment": "attachment", "Sharing": "sharing", "Card": "card", "Friends": "friends",
              "Map": "map", "Note": "note", "System": "system"}
MEDIA_TYPES = {"picture": ".jpg", "emoticon": ".gif", "recording": ".mp3", "video": ".mp4", "attachment": ""}
TEXT_PREVIEW = 200
RETRY_FIRST_DELAY = 0.5
RETRY_GIVE_UP_AFTER = 60.0
STORED_COLUMNS = ("account_id", "msg_id", "type", "chat_kind", "chat_puid", "chat_name", "sender_puid", "sender_name",
                  "is_outgoing", "text", "url", "file_name", "file_path", "file_size", "created_at")


def message_type(raw: dict) -> str:
    if raw.get("MsgType") == 47:
        return "emoticon"
    if raw.get("MsgType") == 10000:
        return "system"
    return WXPY_TYPES.get(raw.get("Type"), "unknown")


def wechat_msg_id(raw: dict) -> str:
    return str(raw.get("MsgId") or raw.get("NewMsgId") or "")


def build_record(msg, directory: ChatDirectory) -> dict[str, Any]:
    """The row for a wxpy message (no I/O besides lookups in the bot's memory)."""
    raw = msg.raw
    me = msg.bot.self
    outgoing = raw.get("FromUserName") == me.user_name
    chat_user = raw.get("ToUserName") if outgoing else raw.get("FromUserName")
    chat: ChatInfo = directory.chat(chat_user or "", lambda: msg.chat)
    kind = message_type(raw)
    if outgoing:
        sender_puid, sender_name = me.puid, me.name or ""
    elif chat.kind == "group":
        actual = raw.get("ActualUserName") or ""
        sender_puid = directory.member_puid(actual, lambda: msg.member)
        sender_name = normalize_emoji(raw.get("ActualNickName") or "")
    else:
        sender_puid, sender_name = chat.puid, chat.name
    text = msg.text if isinstance(msg.text, str) else ""
    return {
        "msg_id": wechat_msg_id(raw), "type": kind, "chat_kind": chat.kind, "chat_puid": chat.puid,
        "chat_name": chat.name[:255], "sender_puid": sender_puid, "sender_name": sender_name[:255],
        "is_outgoing": outgoing, "text": normalize_emoji(text), "url": raw.get("Url") or None,
        "file_name": sanitize_name(raw.get("FileName")) if kind == "attachment" else None,
        "created_at": datetime.fromtimestamp(int(raw.get("CreateTime") or 0) or datetime.now(UTC).timestamp(), UTC),
    }


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def save_media(msg, record: dict[str, Any], account_id: int) -> None:
    """Download the message's file next to the archive (media_root()/<account>/<yyyy-mm>/<msg id><ext>)."""
    extension = MEDIA_TYPES[record["type"]]
    if record["type"] == "attachment":
        extension = Path(record["file_name"] or "").suffix.lower()[:10]
    relative = Path(str(account_id)) / record["created_at"].strftime("%Y-%m") / f"{record['msg_id']}{extension}"
    target = media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        msg.get_file(str(target))
    except Exception:
        logger.warning("could not download the media of message %s", record["msg_id"], exc_info=True)
        return
    if target.exists():
        record["file_path"] = str(relative)
        record["file_size"] = target.stat().st_size


def message_event(row: Message) -> dict[str, Any]:
    return {"id": row.id, "type": row.type, "chat_kind": row.chat_kind, "chat_puid": row.chat_puid,
            "chat_name": row.chat_name, "sender_puid": row.sender_puid, "sender_name": row.sender_name,
            "is_outgoing": row.is_outgoing, "text": row.text[:TEXT_PREVIEW],
            "created_at": row.created_at.isoformat()}


def store(msg, ctx: BotContext, directory: ChatDirectory) -> Message | None:
    """Store a message once; None when it is already archived (a re-delivery) or has no id."""
    record = build_record(msg, directory)
    if not record["msg_id"]:
        return None
    account_id = ctx.account_id()
    exists = db.session.execute(db.select(Message.id).where(
        Message.account_id == account_id, Message.msg_id == record["msg_id"])).first()
    if exists:
        return None
    if record["type"] in MEDIA_TYPES:
        save_media(msg, record, account_id)
    return _commit_with_retry(Message(account_id=account_id, **record))


def _commit_with_retry(row: Message) -> Message | None:
    """Commit, riding out a database that is briefly unavailable or locked; give up (MustNotLose) after a minute."""
    delay, waited = RETRY_FIRST_DELAY, 0.0
    while True:
        db.session.add(row)
        try:
            db.session.commit()
            return row
        except IntegrityError:  # stored meanwhile by someone else: still exactly once
            db.session.rollback()
            return None
        except DBAPIError as exc:
            db.session.rollback()
            if waited >= RETRY_GIVE_UP_AFTER:
                raise MustNotLose(f"database unavailable for {waited:.0f}s: {exc.orig}") from exc
            logger.warning("archive: database error (%s); retrying in %.1fs", exc.orig, delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 8.0)
            row = Message(**{column: getattr(row, column) for column in STORED_COLUMNS})


@message_handler("archive", priority=0)
def archive_message(msg, ctx: BotContext) -> None:
    directory = ctx.directory()
    row = store(msg, ctx, directory)
    if row is None:
        return
    metrics.incr("messages_stored")
    publish("message", message_event(row), client=ctx.state.client)
    if not row.is_outgoing:
        message_arrived(ctx.state)
