"""The message archive: every message the bot sees is stored once (by WeChat MsgId), media saved to disk.

Runs first among the message handlers, in the bot's process. It collects the messages of a webwxsync batch and
stores them when the batch ends (wechat/bot/dispatch.py calls `flush_archive`): when it holds media, one query for
the MsgIds already stored and the media of the new ones; then one multi-row INSERT that skips any MsgId stored, and ONE
commit — instead of a query, an INSERT and a commit per message. The dispatcher reports the messages handled only
after that commit, which is what lets the session checkpoint move the SyncKey past them (drivers/itchat/checkpoint.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from extensions import db
from libs.emoji_markup import normalize_emoji
from libs.events import publish_many
from libs.uploads import sanitize_name
from models.message import Message
from wechat.bot.dispatch import BotContext, MustNotLose, message_handler
from wechat.messages.insert import insert_new
from wechat.messages.media import (
    MEDIA_NOT_FETCHED,
    MEDIA_TYPES,
    MSG_ID,
    MediaGate,
    media_root,  # noqa: F401  (views and retention import it from here)
    save_media,
)
from wechat.messages.notifications import after_arrived, queue_arrived
from wechat.messages.payload import EVENT_TEXT_LIMIT, message_payload
from wechat.messages.recalls import mark_recalled, recaller
from wechat.messages.unread import queue_chat_arrivals
from wechat.sync.group_presence import groups_active

logger = logging.getLogger(__name__)

RETRY_FIRST_DELAY = 0.5
RETRY_GIVE_UP_AFTER = 60.0
RECORD_COLUMNS = ("msg_id", "type", "chat_kind", "chat_puid", "chat_name", "sender_puid", "sender_name",
                  "is_outgoing", "text", "url", "file_name", "file_path", "file_size", "media_status", "created_at")


def message_event(record: dict[str, Any]) -> dict[str, Any]:
    """The SSE `message` event of a stored record (with its row `id`): the whole message as the API gives it
    (wechat/messages/payload.py), so an open conversation appends it without fetching."""
    return message_payload(record, text_limit=EVENT_TEXT_LIMIT)


T = TypeVar("T")


def _with_retry(step: Callable[[], T]) -> T:
    """Run a database step, riding out a database that is briefly unavailable or locked; give up (MustNotLose)
    after a minute, so the batch is re-delivered after a restart instead of lost."""
    delay, waited = RETRY_FIRST_DELAY, 0.0
    while True:
        try:
            return step()
        except DBAPIError as exc:
            db.session.rollback()
            if waited >= RETRY_GIVE_UP_AFTER:
                raise MustNotLose(f"database unavailable for {waited:.0f}s: {exc.orig}") from exc
            logger.warning("archive: database error (%s); retrying in %.1fs", exc.orig, delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 8.0)


def _stored_msg_ids(account_id: int, msg_ids: list[str]) -> set[str]:
    query = db.select(Message.msg_id).where(Message.account_id == account_id, Message.msg_id.in_(msg_ids))
    return set(db.session.execute(query).scalars())


def _to_fetch(record: dict[str, Any]) -> bool:
    return record["type"] in MEDIA_TYPES and record.get("media_status") != MEDIA_NOT_FETCHED


def _insert(account_id: int, records: list[dict[str, Any]]) -> dict[str, int]:
    # Every row has every column: one executemany statement, compiled once.
    rows = [{"account_id": account_id, **{column: record.get(column) for column in RECORD_COLUMNS}}
            for record in records]
    try:
        ids = insert_new(rows)
        _learn_from(account_id, records)  # same transaction: still one commit per batch
        db.session.commit()
        return ids
    except IntegrityError as exc:  # duplicates are skipped by the INSERT itself: one row is bad, keep the others
        db.session.rollback()
        logger.warning("archive: storing a batch failed (%s); storing its messages one by one", exc.orig)
        ids = _insert_one_by_one(rows)
        _learn_from(account_id, records)
        db.session.commit()
        return ids


def _insert_one_by_one(rows: list[dict[str, Any]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for row in rows:
        try:
            ids.update(insert_new([row]))
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            logger.error("archive: message %s not stored: %s", row["msg_id"], exc.orig)
    return ids


def store_batch(items: list[tuple[Any, dict[str, Any]]], account_id: int, gate: MediaGate | None = None
                ) -> list[dict[str, Any]]:
    """Store the (message, record) pairs not archived yet, once each; returns their records with the row `id`, in
    order. A MsgId seen twice in the batch or already stored (a re-delivery) is skipped."""
    fresh: dict[str, tuple[Any, dict[str, Any]]] = {}
    for msg, record in items:
        fresh.setdefault(record["msg_id"], (msg, record))
    # The INSERT skips what is stored already; the query first is only for not downloading a re-delivered medium.
    fetches = any(_to_fetch(record) for _, record in fresh.values())
    known = _with_retry(lambda: _stored_msg_ids(account_id, list(fresh))) if fetches else set()
    records = []
    for msg_id, (msg, record) in fresh.items():
        if msg_id in known:
            continue
        if _to_fetch(record):
            save_media(msg, record, account_id, gate)
        records.append(record)
    if not records:
        return []
    ids = _with_retry(lambda: _insert(account_id, records))
    return [{**record, "id": ids[record["msg_id"]], "account_id": account_id} for record in records
            if record["msg_id"] in ids]


def _learn_from(account_id: int, records: list[dict[str, Any]]) -> None:
    """What a batch teaches besides its rows: groups it came from (they may be on no list) and recalls. The caller
    commits."""
    latest: dict[str, tuple[str, datetime]] = {}
    for record in records:
        if record["chat_kind"] == "group" and record["chat_puid"] and not record["is_outgoing"]:
            seen = latest.get(record["chat_puid"])
            if seen is None or seen[1] < record["created_at"]:
                latest[record["chat_puid"]] = (record["chat_name"], record["created_at"])
    groups_active(account_id, latest)
    recalls = [(record["recall_of"], recaller(record["text"], record["sender_name"] or record["chat_name"]),
                record["created_at"]) for record in records if record.get("recall_of")]
    if recalls:
        mark_recalled(account_id, recalls)


def announce(stored: list[dict[str, Any]], ctx: BotContext) -> None:
    """Queue the batch's `message` events, the stored counter and the unread count (one Redis round trip, sent by
    the dispatcher right after the commit)."""
    if not stored:
        return
    ctx.batch.count("messages_stored", len(stored))
    events = [("message", message_event(record)) for record in stored]
    ctx.batch.redis(lambda pipe: publish_many(events, client=pipe))
    incoming = [record["chat_puid"] for record in stored if not record["is_outgoing"]]
    if incoming:
        state = ctx.state
        ctx.batch.redis(lambda pipe: queue_chat_arrivals(state, pipe, incoming))
        ctx.batch.redis(lambda pipe: queue_arrived(state, pipe, len(incoming)),
                        then=lambda results: after_arrived(state, results))


def flush_archive(ctx: BotContext) -> None:
    items = ctx.batch.take("archive")
    if items:
        announce(store_batch(items, ctx.account_id(), MediaGate.for_context(ctx)), ctx)


# -- the events (drivers.types), on every driver ----------------------------------------------------------------
EVENT_TYPES = {"text": "text", "image": "picture", "voice": "recording", "video": "video", "emoji": "emoticon",
               "file": "attachment", "link": "sharing", "card": "card", "location": "map", "system": "system",
               "other": "unknown"}


def event_record(event, directory) -> dict[str, Any] | None:
    """The row for an event (MessageEvent, GroupNoteEvent, RecallEvent); None for other events.

    Ids are the driver's own: stable wxids on padpro, the puids of the puid map on itchat."""
    from drivers.types import GroupNoteEvent, MessageEvent, RecallEvent

    me = directory.me()
    if isinstance(event, MessageEvent):
        chat = directory.chat(event.chat_id, event.is_group)
        kind = EVENT_TYPES.get(event.kind.value, "unknown")
        outgoing = event.sender_id == me.id
        if outgoing:
            sender_id, sender_name = me.id, me.nick_name
        elif event.is_group:
            sender_id, sender_name = event.sender_id, directory.member_name(event.chat_id, event.sender_id)
        else:
            sender_id, sender_name = chat.id, chat.name
        text, url, file_name = event.text, event.url or None, event.file_name
        created, msg_id = event.create_time, event.msg_id
    elif isinstance(event, GroupNoteEvent | RecallEvent):
        chat_id = event.group_id if isinstance(event, GroupNoteEvent) else event.chat_id
        chat = directory.chat(chat_id, chat_id.endswith("@chatroom"))
        kind, outgoing, sender_id, sender_name = "system", False, "", ""
        text, url, file_name, created, msg_id = event.text, None, "", event.create_time, event.msg_id
    else:
        return None
    msg_id = str(msg_id or "")
    recall_of = event.recalled_msg_id if isinstance(event, RecallEvent) else None
    return {
        "recall_of": recall_of if recall_of and MSG_ID.fullmatch(recall_of) else None,
        "msg_id": msg_id if MSG_ID.fullmatch(msg_id) else "", "type": kind, "chat_kind": chat.kind,
        "chat_puid": chat.id, "chat_name": normalize_emoji(chat.name)[:255], "sender_puid": sender_id or None,
        "sender_name": normalize_emoji(sender_name or "")[:255], "is_outgoing": outgoing,
        "text": normalize_emoji(text or ""), "url": url,
        "file_name": sanitize_name(file_name) if kind == "attachment" else None,
        # Media the driver cannot fetch (no media_ref: emoji, or a driver without DOWNLOAD_MEDIA) are not kept;
        # the others are downloaded by store_batch (wechat/messages/media.py), within the media limits.
        "media_status": MEDIA_NOT_FETCHED if kind in MEDIA_TYPES and not getattr(event, "media_ref", "") else None,
        "created_at": datetime.fromtimestamp(int(created or 0) or datetime.now(UTC).timestamp(), UTC),
    }


@message_handler("archive", priority=0, flush=flush_archive)
def archive_event(event, ctx: BotContext) -> None:
    """Collect the event's row; `flush_archive` stores the batch."""
    record = event_record(event, ctx.directory())
    if record is not None and record["msg_id"]:
        ctx.batch.collect("archive", (event, record))
