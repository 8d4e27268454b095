"""The Conversations page's API: the chat list, a chat's history by cursor, replies, read marks and pins.

GET  /api/chats?q=&limit=                    chats, pinned first, then latest message first, with unread counts
GET  /api/chats/<puid>/messages?before=|after=&limit=   one page of history (opaque cursors, libs/cursor.py)
POST /api/chats/<puid>/messages              reply: a one-recipient send job (paced, audited, like /send)
POST /api/chats/<puid>/read                  mark read (the chat's unread count, and the global one by as much)
PUT|DELETE /api/chats/<puid>/pin             pin to the top of the list, or unpin
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from extensions import db
from libs import cursor
from libs.api import ApiError, field, int_arg, json_body, search_arg
from models.audit import record
from views.contacts import current_account_id
from views.jobs import check_uploads
from wechat import control
from wechat.chat_unread import chat_unread, mark_read
from wechat.conversations import MAX_CHATS, MAX_PAGE, chat_list, history, set_pinned
from wechat.notifications import unread
from wechat.send_jobs import JobInvalid, create_send_job, job_as_dict, publish_job

bp = Blueprint("chats", __name__, url_prefix="/api/chats")
MAX_PUID = 64


def _chat(puid: str) -> str:
    if not puid.strip() or len(puid) > MAX_PUID:
        raise ApiError(400, f"a chat id is 1 to {MAX_PUID} characters")
    return puid


def _account() -> int:
    account_id = current_account_id()
    if account_id is None:
        raise ApiError(409, "no WeChat account has logged in yet", code="no_account")
    return account_id


def _cursor_arg(name: str):
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return cursor.decode(raw)
    except cursor.BadCursor as exc:
        raise ApiError(400, f"query parameter '{name}': {exc}", code="bad_cursor") from None


@bp.get("")
def chats():
    limit = int_arg("limit", 50, 1, MAX_CHATS)
    needle = search_arg("q", 100)
    account_id = current_account_id()
    if account_id is None:
        return jsonify({"items": [], "unread": 0})
    state = control.bot_state()
    return jsonify({"items": chat_list(account_id, chat_unread(state), needle, limit), "unread": unread(state)})


@bp.get("/<puid>/messages")
def messages(puid: str):
    chat = _chat(puid)
    limit = int_arg("limit", 50, 1, MAX_PAGE)
    before, after = _cursor_arg("before"), _cursor_arg("after")
    if before and after:
        raise ApiError(400, "give 'before' or 'after', not both", code="bad_cursor")
    account_id = current_account_id()
    if account_id is None:
        return jsonify({"items": [], "has_more": False})
    page = history(account_id, chat, limit, before=before, after=after)
    return jsonify({"items": page.items, "has_more": page.has_more})


@bp.post("/<puid>/messages")
def reply(puid: str):
    chat = _chat(puid)
    data = json_body()
    text = field(data, "text", str, required=False, default="")
    files = field(data, "files", list, required=False, default=[])
    try:
        job = create_send_job([chat], text, files, created_by=current_user.username, reason="reply",
                              account_id=current_account_id())
    except JobInvalid as exc:
        raise ApiError(400, str(exc)) from None
    check_uploads(files)
    db.session.flush()
    record(current_user.username, "message.reply", target=chat, detail={"job": job.id, "files": len(files)},
           ip=request.remote_addr)
    db.session.commit()
    publish_job(job)
    control.enqueue_send_job(job.id)
    return jsonify({"job": job_as_dict(job)}), 202


@bp.post("/<puid>/read")
def read(puid: str):
    chat = _chat(puid)
    state = control.bot_state()
    cleared = mark_read(state, chat)
    return jsonify({"chat": chat, "cleared": cleared, "unread": unread(state)})


@bp.route("/<puid>/pin", methods=["PUT", "DELETE"])
def pin(puid: str):
    chat = _chat(puid)
    pinned = request.method == "PUT"
    if set_pinned(_account(), chat, pinned):
        record(current_user.username, "chat.pin" if pinned else "chat.unpin", target=chat, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"chat": chat, "pinned": pinned})
