"""The message archive, its media, unread notifications, sync requests and the overview figures."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, request, send_file
from flask_login import current_user
from sqlalchemy import func, select

from extensions import db
from libs.api import ApiError, search_arg
from libs.api_spec import ErrorBody, Response, api, context_json, context_query
from libs.files import inside
from libs.search import message_search
from libs.validation import to_utc
from models.audit import record
from models.message import Message
from models.wechat import Contact, Group
from views.account_context import current_account, current_account_id, owns_slot, require_live
from views.contacts import paged
from views.schemas.common import OkTask
from views.schemas.messages import (
    ChatQuery,
    Deleted,
    MessagePage,
    MessageQuery,
    Overview,
    SyncIn,
    Unread,
)
from wechat import control
from wechat.messages.archive import media_root
from wechat.messages.notifications import clear_unread, unread
from wechat.messages.retention import delete_messages
from wechat.messages.unread import clear_all

bp = Blueprint("messages", __name__, url_prefix="/api")
# Shown in the page (an image, or played by <audio>/<video>: with nosniff, an octet-stream download never plays).
# The archive names these files itself (.jpg, .gif, .mp3, .mp4), so their type is never a user's choice.
INLINE_TYPES = {"picture", "emoticon", "recording", "video"}


def message_dict(message: Message) -> dict:
    return {"id": message.id, "msg_id": message.msg_id, "type": message.type, "chat_kind": message.chat_kind,
            "chat_puid": message.chat_puid, "chat_name": message.chat_name, "sender_puid": message.sender_puid,
            "sender_name": message.sender_name, "is_outgoing": message.is_outgoing, "text": message.text,
            "url": message.url, "file_name": message.file_name, "file_size": message.file_size,
            "media_url": f"/api/media/{message.id}" if message.file_path else None,
            "media_status": message.media_status,  # why the media was not kept (models.message.MEDIA_SKIPPED)
            # The sender took it back (type 10002): the archive keeps the original and says who and when.
            "recalled_at": message.recalled_at.isoformat() if message.recalled_at else None,
            "recalled_by": message.recalled_by,
            "created_at": message.created_at.isoformat()}


def time_arg(name: str) -> datetime | None:
    raw = getattr(context_query(), name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"query parameter '{name}' must be an ISO 8601 date or date-time", field=name) from None
    # A bare date or time means the configured zone, as the dashboard shows times.
    return to_utc(value, name, ZoneInfo(current_app.config["TIMEZONE"]))


def message_args() -> tuple[list, str | None]:
    """The conditions of ?type=&chat=&sender=&since=&until= and the ?q= needle (400 for a bad value)."""
    filters = []
    query = context_query()
    if query.type:
        filters.append(Message.type == query.type)
    if query.chat:
        filters.append(Message.chat_puid == query.chat)
    if query.sender:
        filters.append(Message.sender_puid == query.sender)
    needle = search_arg("q")
    since, until = time_arg("since"), time_arg("until")
    if since and until and since > until:
        raise ApiError(400, "'since' is after 'until'")
    if since:
        filters.append(Message.created_at >= since)
    if until:
        filters.append(Message.created_at <= until)
    return filters, needle


@bp.get("/messages")
@api.validate(query=MessageQuery, resp=Response(HTTP_200=MessagePage))
def messages():
    """The archive, newest first, filtered and searched."""
    filters, needle = message_args()
    query, count_query = message_search(current_account_id(), filters, needle)
    return jsonify(paged(query, (Message.created_at.desc(), Message.id.desc()), message_dict, count_query))


@bp.delete("/messages")
@api.validate(query=ChatQuery, resp=Response(HTTP_200=Deleted))
def delete_chat_archive():
    """Delete one chat's archive (?chat=<puid>) and its media."""
    chat = context_query().chat
    if not chat:
        raise ApiError(400, "give ?chat=<puid>: deleting the whole archive at once is not offered")
    account_id = current_account_id()
    deleted = delete_messages((Message.account_id == account_id) & (Message.chat_puid == chat))
    record(current_user.username, "messages.delete_chat", target=chat, detail={"deleted": deleted},
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"deleted": deleted})


@bp.get("/media/<int:message_id>")
@api.validate(resp=Response(HTTP_200=None, HTTP_404=ErrorBody))
def media(message_id: int):
    """A message's stored media file (pictures inline, the rest as a download)."""
    message = db.session.get(Message, message_id)
    if message is None or message.account_id != current_account_id() or not message.file_path:
        raise ApiError(404, "no media for this message")
    path = inside(media_root(), message.file_path)
    if path is None or not path.is_file():
        raise ApiError(404, "the media file is gone")
    name = message.file_name or f"{message.msg_id}{Path(message.file_path).suffix}"
    inline = message.type in INLINE_TYPES
    mime = mimetypes.guess_type(path.name)[0] if inline else "application/octet-stream"
    return send_file(path, mimetype=mime or "application/octet-stream", as_attachment=not inline,
                     download_name=name, max_age=3600)


@bp.get("/notifications")
@api.validate(resp=Response(HTTP_200=Unread))
def notifications():
    """The number of unread messages."""
    return jsonify({"unread": unread(control.bot_state()) if owns_slot(current_account()) else 0})


@bp.post("/notifications/read_all")
@api.validate(resp=Response(HTTP_200=Unread))
def read_all():
    """Mark every message read."""
    if not owns_slot(current_account()):
        return jsonify({"unread": 0})
    state = control.bot_state()
    clear_all(state)
    clear_unread(state)
    return jsonify({"unread": 0})


@bp.post("/sync")
@api.validate(json=SyncIn, resp=Response(HTTP_202=OkTask, HTTP_503=ErrorBody))
def request_sync():
    """Sync contacts, groups or MPs from WeChat now (in the worker holding the bot)."""
    what = context_json().what
    require_live(current_account())
    if not control.bot_state().is_logged_in():
        raise ApiError(503, "WeChat is not logged in", code="not_logged_in")
    result = control.celery_app().send_task("wechat.sync", args=[what], expires=600)  # routed: task_routes
    record(current_user.username, "sync.request", target=what, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"ok": True, "task_id": result.id}), 202


@bp.get("/overview")
@api.validate(resp=Response(HTTP_200=Overview))
def overview():
    """The dashboard's figures: counts, messages per day (14 days), the most active groups."""
    account_id = current_account_id()
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    today = datetime.now(zone).date()
    start_local = datetime.combine(today - timedelta(days=13), datetime.min.time(), zone)
    recent = select(Message.created_at, Message.chat_kind, Message.chat_puid, Message.chat_name).where(
        Message.account_id == account_id, Message.created_at >= start_local.astimezone(UTC))
    per_day = {today - timedelta(days=n): 0 for n in range(14)}
    groups: dict[str, dict] = {}
    for created_at, chat_kind, chat_puid, chat_name in db.session.execute(recent):
        day = created_at.astimezone(zone).date()
        if day in per_day:
            per_day[day] += 1
        if chat_kind == "group" and chat_puid:
            entry = groups.setdefault(chat_puid, {"puid": chat_puid, "name": chat_name, "count": 0})
            entry["count"] += 1

    def count(query) -> int:
        return db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()

    contacts = select(Contact.id).where(Contact.account_id == account_id)
    return jsonify({
        "counts": {
            "friends": count(contacts.where(Contact.is_friend.is_(True))),
            "groups": count(select(Group.id).where(Group.account_id == account_id)),
            # int(): MySQL sums to a DECIMAL, which JSON would carry as the string "0"
            "members": int(db.session.execute(select(func.coalesce(func.sum(Group.member_count), 0))
                                              .where(Group.account_id == account_id)).scalar_one()),
            "mps": count(contacts.where(Contact.is_mp.is_(True))),
            "messages_today": per_day[today],
        },
        "messages_per_day": [{"date": day.isoformat(), "count": per_day[day]} for day in sorted(per_day)],
        "active_groups": sorted(groups.values(), key=lambda g: -g["count"])[:5],
        "unread": unread(control.bot_state()) if owns_slot(current_account()) else 0,
    })
