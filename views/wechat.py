"""WeChat login, status and bot commands over the JSON API. All work happens in the worker holding the bot."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError, field, json_body, string_list
from libs.metrics import queue_length
from libs.queues import bot_queue
from models.audit import record
from wechat import capabilities, control
from wechat.builtin_handlers import friend_requests

bp = Blueprint("wechat", __name__, url_prefix="/api")

# The one mapping of command errors to statuses; `unsupported`: the active driver lacks the capability (409).
ERROR_STATUS = {"not_logged_in": 503, "not_found": 404, "not_owner": 403, "invalid": 400, "rate_limited": 429,
                "wechat_error": 502, "unsupported": 409}


def audit(action: str, target: str | None = None, **detail) -> None:
    record(current_user.username, action, target=target, detail=detail or None, ip=request.remote_addr)
    db.session.commit()


def command_response(result: dict):
    if result.get("ok"):
        return jsonify(result)
    raise ApiError(ERROR_STATUS.get(result.get("error"), 502), result.get("message", "failed"),
                   code=result.get("error"))


def run(name: str, action: str, target: str | None, **kwargs):
    result = control.call_bot(name, kwargs)
    audit(action, target, ok=bool(result.get("ok")), error=result.get("error"))
    return command_response(result)


@bp.get("/status")
def status():
    state = control.bot_state()
    login = state.login()
    listener = state.listener()
    age = state.heartbeat_age()
    healthy = age is not None and age < 3 * current_app.config["LISTENER_HEARTBEAT"] and \
        listener.get("status") == "running"
    started = listener.get("started_at")
    wechat = state.wechat_health()
    # Degraded: logged in, but WeChat is failing right now (the listener retries with back-off, see
    # libs/wx_resilience.py), or the listener stopped beating while logged in.
    degraded = login["state"] == "logged_in" and (wechat["consecutive_errors"] > 0 or not healthy)
    return jsonify({
        "degraded": degraded,
        "wechat": wechat,
        # What the lease holder says (wechat/state.py derive_login): `no_listener` while nobody holds the lease.
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
        # The logged-in driver and what it can do (wechat/capabilities.py): the dashboard greys out the rest.
        "driver": capabilities.summary(login),
        # Tasks waiting for the process holding the bot: nobody takes them until WeChat is logged in (they expire).
        "bot_queue": {"waiting": queue_length(state.client, bot_queue(state.account)),
                      "expires_seconds": current_app.config["BOT_TASK_EXPIRES"]},
    })


@bp.post("/wechat/login")
def login():
    state = control.bot_state()
    if state.is_logged_in():
        raise ApiError(409, "already logged in; log out first")
    result = control.request_new_qr()
    audit("wechat.login", **result)
    return jsonify({"ok": True, **result}), 202


@bp.get("/wechat/qrcode.png")
def qrcode():
    png = control.bot_state().qrcode()
    if png is None:
        raise ApiError(404, "no QR code right now (already logged in, or the listener is starting)")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/wechat/logout")
def logout():
    state = control.bot_state()
    if not state.is_logged_in():
        raise ApiError(409, "WeChat is not logged in")
    state.request_logout()
    audit("wechat.logout")
    return jsonify({"ok": True}), 202


@bp.get("/wechat/chats")
def live_chats():
    kind = request.args.get("kind", "all")
    result = control.call_bot("list_chats", {"kind": kind})
    return command_response(result)


@bp.post("/wechat/groups")
def create_group():
    data = json_body()
    members = string_list(data, "members", max_items=40)
    topic = field(data, "topic", str, required=False, default="", max_length=60, display_name=True)
    return run("create_group", "group.create", topic, members=members, topic=topic)


@bp.get("/wechat/groups/<puid>/members")
def live_members(puid: str):
    return command_response(control.call_bot("list_members", {"group": puid}))


@bp.post("/wechat/groups/<puid>/members")
def add_members(puid: str):
    data = json_body()
    members = string_list(data, "members", max_items=40)
    invite = field(data, "invite", bool, required=False)
    return run("add_members", "group.add_members", puid, group=puid, members=members, invite=invite)


@bp.post("/wechat/groups/<puid>/members/remove")
def remove_members(puid: str):
    members = string_list(json_body(), "members", max_items=40)
    return run("remove_members", "group.remove_members", puid, group=puid, members=members)


@bp.get("/wechat/friend_requests")
def list_friend_requests():
    return jsonify({"items": friend_requests(control.bot_state())})


@bp.post("/wechat/friend_requests/<request_id>/accept")
def accept_friend_request(request_id: str):
    pending = {r["id"]: r for r in friend_requests(control.bot_state())}
    if request_id not in pending:
        raise ApiError(404, "no such friend request (it may have expired)")
    data = json_body() if request.content_length else {}
    text = field(data, "text", str, required=False, default="", max_length=200)
    return run("accept_friend", "friend.accept", pending[request_id]["nick_name"],
               user_name=pending[request_id]["user_name"], verify_content=text)


@bp.post("/wechat/friends")
def add_friend():
    data = json_body()
    puid = field(data, "puid", str, max_length=128)
    text = field(data, "text", str, required=False, default="", max_length=200)
    return run("add_friend", "friend.add", puid, puid=puid, verify_content=text)


@bp.put("/wechat/contacts/<puid>/remark")
def set_remark(puid: str):
    remark = field(json_body(), "remark", str, max_length=60, display_name=True)
    return run("set_remark", "contact.remark", puid, puid=puid, remark=remark)
