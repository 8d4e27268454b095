"""WeChat login, status and bot commands over the JSON API. All work happens in the worker holding the bot."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, request
from flask import Response as HttpResponse
from flask_login import current_user

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json, context_query
from libs.metrics import queue_length
from libs.queues import bot_queue
from models.audit import record
from views.account_context import current_account, owns_slot, require_live
from views.schemas.common import CommandResult, Ok
from views.schemas.wechat import (
    AcceptIn,
    AddFriendIn,
    AddMembersIn,
    ChatsQuery,
    CreateGroupIn,
    FriendRequests,
    LoginStarted,
    MembersIn,
    RemarkIn,
    Status,
)
from wechat import control
from wechat.bot import capabilities
from wechat.bot.builtin_handlers import friend_requests

bp = Blueprint("wechat", __name__, url_prefix="/api")

# The one mapping of command errors to statuses; `unsupported`: the active driver lacks the capability (409).
ERROR_STATUS = {"not_logged_in": 503, "not_found": 404, "not_owner": 403, "invalid": 400, "rate_limited": 429,
                "not_reachable": 422, "wechat_error": 502, "unsupported": 409}


def command_answers() -> Response:
    """What a bot command answers: its result, or an error mapped by ERROR_STATUS."""
    return Response(HTTP_200=CommandResult, **{f"HTTP_{status}": ErrorBody for status in set(ERROR_STATUS.values())})


def audit(action: str, target: str | None = None, **detail) -> None:
    record(current_user.username, action, target=target, detail=detail or None, ip=request.remote_addr)
    db.session.commit()


def command_response(result: dict):
    if result.get("ok"):
        return jsonify(result)
    raise ApiError(ERROR_STATUS.get(result.get("error"), 502), result.get("message", "failed"),
                   code=result.get("error"))


def call_bot(name: str, kwargs: dict):
    """A command for the bot, refused (409) unless the bot runs the request's account (views/account_context.py)."""
    require_live(current_account())
    return control.call_bot(name, kwargs)


def run(name: str, action: str, target: str | None, **kwargs):
    result = call_bot(name, kwargs)
    audit(action, target, ok=bool(result.get("ok")), error=result.get("error"))
    return command_response(result)


@bp.get("/status")
@api.validate(resp=Response(HTTP_200=Status))
def status():
    """The bot's state: WeChat login, listener health, WeChat errors, pause."""
    state = control.bot_state()
    if not owns_slot(current_account()):
        # The bot runs another account (or none of this one's): say so rather than show that account's state.
        login = {"state": "not_connected"}
    else:
        login = state.login()
    listener = state.listener()
    age = state.heartbeat_age()
    healthy = age is not None and age < 3 * current_app.config["LISTENER_HEARTBEAT"] and \
        listener.get("status") == "running"
    started = listener.get("started_at")
    wechat = state.wechat_health()
    # Degraded: logged in, but WeChat is failing right now (the listener retries with back-off, see
    # drivers/itchat/resilience.py), or the listener stopped beating while logged in.
    degraded = login["state"] == "logged_in" and (wechat["consecutive_errors"] > 0 or not healthy)
    return jsonify({
        "degraded": degraded,
        "wechat": wechat,
        # What the lease holder says (wechat/bot/state.py derive_login): `no_listener` while nobody holds the lease.
        "login": {k: v for k, v in login.items() if k not in ("uuid", "generation")},
        "account": {"nick_name": login.get("nick_name"), "puid": login.get("puid")}
        if login["state"] == "logged_in" else None,
        "listener": {
            "task_id": listener.get("task_id"), "hostname": listener.get("hostname"),
            "status": listener.get("status", "none"), "healthy": healthy,
            "last_heartbeat": listener.get("heartbeat"), "heartbeat_age": age,
            "uptime": (time.time() - started) if started and healthy else None,
            "starts": listener.get("starts", 0),
        },
        "paused": state.paused(),
        # The logged-in driver and what it can do (wechat/bot/capabilities.py): the dashboard greys out the rest.
        "driver": capabilities.summary(login),
        # Why the last session ended (WeChat ends web sessions after a day or three), until the next login.
        "session_end": state.session_end(),
        # Tasks waiting for the process holding the bot: nobody takes them until WeChat is logged in (they expire).
        "bot_queue": {"waiting": queue_length(state.client, bot_queue(state.account)),
                      "expires_seconds": current_app.config["BOT_TASK_EXPIRES"]},
    })


@bp.post("/wechat/login")
@api.validate(resp=Response(HTTP_202=LoginStarted, HTTP_409=ErrorBody))
def login():
    """Start a WeChat login (a fresh listener; the QR code follows as an SSE `login` event)."""
    state = control.bot_state()
    if state.is_logged_in():
        raise ApiError(409, "already logged in; log out first")
    result = control.request_new_qr()
    audit("wechat.login", **result)
    return jsonify({"ok": True, **result}), 202


@bp.get("/wechat/qrcode.png")
@api.validate(resp=Response(HTTP_200=None, HTTP_404=ErrorBody))
def qrcode():
    """The current login QR code (PNG)."""
    png = control.bot_state().qrcode()
    if png is None:
        raise ApiError(404, "no QR code right now (already logged in, or the listener is starting)")
    return HttpResponse(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/wechat/logout")
@api.validate(resp=Response(HTTP_202=Ok, HTTP_409=ErrorBody))
def logout():
    """Log out of WeChat."""
    state = control.bot_state()
    require_live(current_account())
    if not state.is_logged_in():
        raise ApiError(409, "WeChat is not logged in")
    state.request_logout()
    audit("wechat.logout")
    return jsonify({"ok": True}), 202


@bp.get("/wechat/chats")
@api.validate(query=ChatsQuery, resp=command_answers())
def live_chats():
    """The bot's live friends, groups and MPs."""
    result = call_bot("list_chats", {"kind": context_query().kind})
    return command_response(result)


@bp.post("/wechat/groups")
@api.validate(json=CreateGroupIn, resp=command_answers())
def create_group():
    """Create a group with these members."""
    body: CreateGroupIn = context_json()
    return run("create_group", "group.create", body.topic, members=body.members, topic=body.topic)


@bp.get("/wechat/groups/<puid>/members")
@api.validate(resp=command_answers())
def live_members(puid: str):
    """A group's live members."""
    return command_response(call_bot("list_members", {"group": puid}))


@bp.post("/wechat/groups/<puid>/members")
@api.validate(json=AddMembersIn, resp=command_answers())
def add_members(puid: str):
    """Add (or invite) members to a group."""
    body: AddMembersIn = context_json()
    return run("add_members", "group.add_members", puid, group=puid, members=body.members, invite=body.invite)


@bp.post("/wechat/groups/<puid>/members/remove")
@api.validate(json=MembersIn, resp=command_answers())
def remove_members(puid: str):
    """Remove members from a group (the bot must own it)."""
    return run("remove_members", "group.remove_members", puid, group=puid, members=context_json().members)


@bp.get("/wechat/friend_requests")
@api.validate(resp=Response(HTTP_200=FriendRequests))
def list_friend_requests():
    """Pending friend requests."""
    if not owns_slot(current_account()):
        return jsonify({"items": []})
    return jsonify({"items": friend_requests(control.bot_state())})


@bp.post("/wechat/friend_requests/<request_id>/accept")
@api.validate(json=AcceptIn, resp=command_answers())
def accept_friend_request(request_id: str):
    """Accept a pending friend request."""
    require_live(current_account())
    pending = {r["id"]: r for r in friend_requests(control.bot_state())}
    if request_id not in pending:
        raise ApiError(404, "no such friend request (it may have expired)")
    return run("accept_friend", "friend.accept", pending[request_id]["nick_name"],
               user_name=pending[request_id]["user_name"], verify_content=context_json().text)


@bp.post("/wechat/friends")
@api.validate(json=AddFriendIn, resp=command_answers())
def add_friend():
    """Send a friend request."""
    body: AddFriendIn = context_json()
    return run("add_friend", "friend.add", body.puid, puid=body.puid, verify_content=body.text)


@bp.put("/wechat/contacts/<puid>/remark")
@api.validate(json=RemarkIn, resp=command_answers())
def set_remark(puid: str):
    """Set a friend's remark name."""
    remark = context_json().remark
    return run("set_remark", "contact.remark", puid, puid=puid, remark=remark)
