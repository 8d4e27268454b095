"""The "phone": a loopback-only page to scan/confirm the pending login and chat as any contact (demo aid)."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from sandbox import inject
from sandbox.control import sandbox
from sandbox.events import Message
from sandbox.session import RET_KICKED, SCANNED
from sandbox.world import SELF_ID, WorldError

bp = Blueprint("phone", __name__, url_prefix="/_sandbox/phone", template_folder="templates")
LISTED = 50  # the page lists this many names; any other name can be typed


@bp.before_request
def guard() -> None:
    # Loopback address and Host are checked for all of /_sandbox (sandbox/guard.py). A page on another site could
    # still post a form to a loopback URL from the user's browser: require the token this page put in its forms.
    if request.method == "POST" and not secrets.compare_digest(request.form.get("token", "").encode(),
                                                               _token().encode()):
        abort(403)


def _token() -> str:
    return current_app.config.setdefault("SANDBOX_PHONE_TOKEN", secrets.token_urlsafe(16))


def _describe(message: Message) -> dict[str, str]:
    world = sandbox().world
    where = world.display_name(message.from_id if message.from_id in world.groups else message.to_id)
    sender = world.display_name(message.member_id or message.from_id)
    text = message.text if message.msg_type in (1, 10000, 37) else f"[type {message.msg_type}] {message.file_name}"
    return {"id": str(message.msg_id), "from": sender, "chat": where, "text": text}


@bp.get("")
def page() -> str:
    sb = sandbox()
    world = sb.world
    recent = [e for e in sb.log.entries[-20:] if isinstance(e, Message)]
    names = [world.account.nick_name] + [p.nick_name for p in world.friends()[:LISTED]]
    return render_template(
        "phone.html", state=sb.logins.login_state(), pending=sb.logins.pending(), token=_token(),
        names=names + [m.nick_name for m in list(world.mps.values())[:LISTED]],
        groups=[g.nick_name for g in world.groups.values() if g.has(SELF_ID)],
        types=list(inject.MSG_TYPES), received=[_describe(m) for m in reversed(recent)],
        sent=list(reversed(sb.sent.entries[-20:])), message=request.args.get("message", ""),
        account=world.account.nick_name)


def _back(message: str = "") -> Response:
    return redirect(url_for("phone.page", message=message or None))


@bp.post("/scan")
def scan() -> Response:
    attempt = sandbox().logins.pending()
    if attempt is None:
        return _back("No QR code is waiting.")
    attempt.move(SCANNED)
    if request.form.get("confirm"):
        attempt.move("confirmed")
    return _back(f"QR code {attempt.uuid}: {attempt.state}.")


@bp.post("/send")
def send() -> Response:
    form = request.form
    spec = {"from": form.get("from", ""), "type": form.get("type", "text"), "content": form.get("content", "")}
    if form.get("group"):
        spec["group"] = form["group"]
    if form.get("to"):
        spec["to"] = form["to"]
    try:
        inject.inject_messages(sandbox(), spec)
    except (WorldError, KeyError) as exc:
        return _back(f"Not sent: {exc}")
    return _back("Sent.")


@bp.post("/logout")
def logout() -> Response:
    sb = sandbox()
    for session in sb.logins.live_sessions():
        session.ended = RET_KICKED
    sb.log.notify()
    return _back("Logged the web client out from the phone.")
