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
from libs.api import ApiError, search_arg
from libs.api_spec import ErrorBody, Response, api, context_json, context_query
from models.audit import record
from views.account_context import current_account, current_account_id, owns_slot, require_live
from views.jobs import check_uploads
from views.schemas.chats import ChatList, ChatsQuery, History, HistoryQuery, PinAnswer, ReadAnswer, ReplyIn
from views.schemas.jobs import JobAnswer
from wechat import control
from wechat.messages.conversations import chat_list, history, set_pinned
from wechat.messages.notifications import unread
from wechat.messages.unread import chat_unread, mark_read
from wechat.sending.jobs import JobInvalid, create_send_job, job_as_dict, publish_job

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
    raw = getattr(context_query(), name)
    if raw is None:
        return None
    try:
        return cursor.decode(raw)
    except cursor.BadCursor as exc:
        raise ApiError(400, f"query parameter '{name}': {exc}", code="bad_cursor") from None


@bp.get("")
@api.validate(query=ChatsQuery, resp=Response(HTTP_200=ChatList))
def chats():
    """The chat list: pinned chats first, then by latest message, with unread counts."""
    limit = context_query().limit
    needle = search_arg("q")
    account = current_account()
    if account is None:
        return jsonify({"items": [], "unread": 0})
    state = control.bot_state()
    live = owns_slot(account)  # unread counters exist for the account the bot runs only
    return jsonify({"items": chat_list(account.id, chat_unread(state) if live else {}, needle, limit),
                    "unread": unread(state) if live else 0})


@bp.get("/<puid>/messages")
@api.validate(query=HistoryQuery, resp=Response(HTTP_200=History))
def messages(puid: str):
    """One page of a chat's history, newest first (cursors from the items)."""
    chat = _chat(puid)
    limit = context_query().limit
    before, after = _cursor_arg("before"), _cursor_arg("after")
    if before and after:
        raise ApiError(400, "give 'before' or 'after', not both", code="bad_cursor")
    account_id = current_account_id()
    if account_id is None:
        return jsonify({"items": [], "has_more": False})
    page = history(account_id, chat, limit, before=before, after=after)
    return jsonify({"items": page.items, "has_more": page.has_more})


@bp.post("/<puid>/messages")
@api.validate(json=ReplyIn, resp=Response(HTTP_202=JobAnswer))
def reply(puid: str):
    """Reply in a chat: a one-recipient send job (paced and audited like /send)."""
    chat = _chat(puid)
    body: ReplyIn = context_json()
    text, files = body.text, body.files
    require_live(current_account())
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
@api.validate(resp=Response(HTTP_200=ReadAnswer))
def read(puid: str):
    """Mark a chat read."""
    chat = _chat(puid)
    if not owns_slot(current_account()):
        return jsonify({"chat": chat, "cleared": 0, "unread": 0})
    state = control.bot_state()
    cleared = mark_read(state, chat)
    return jsonify({"chat": chat, "cleared": cleared, "unread": unread(state)})


@bp.route("/<puid>/pin", methods=["PUT", "DELETE"])
@api.validate(resp=Response(HTTP_200=PinAnswer, HTTP_409=ErrorBody))
def pin(puid: str):
    """Pin a chat to the top of the list (PUT) or unpin it (DELETE)."""
    chat = _chat(puid)
    pinned = request.method == "PUT"
    if set_pinned(_account(), chat, pinned):
        record(current_user.username, "chat.pin" if pinned else "chat.unpin", target=chat, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"chat": chat, "pinned": pinned})
