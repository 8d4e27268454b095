"""The /_sandbox control API (JSON in and out). The contract: docs/SANDBOX.md; who may call it: sandbox/guard.py."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox import inject, worldops
from sandbox.core import Faults, RateLimiter, Sandbox
from sandbox.guard import is_loopback  # noqa: F401  (kept importable from here for older callers)
from sandbox.seeding import WorldSpec
from sandbox.session import RET_KICKED, SCANNED
from sandbox.world import SELF_ID, WorldError

bp = Blueprint("control", __name__, url_prefix="/_sandbox")
SETTINGS_FIELDS = ("sync_timeout", "login_poll_timeout", "qr_ttl", "sync_batch", "invite_accept",
                   "dedupe_client_msg_id", "all_groups_in_contacts", "session_lifetime", "groups_per_hour",
                   "member_removal", "note_language", "selector_7", "refusal")
CHOICES = {"invite_accept": ("immediate", "manual"), "member_removal": ("refused", "allowed", "refused_everywhere"),
           "note_language": ("zh", "en"), "selector_7": ("after_messages", "always", "never"),
           "refusal": ("1203", "html", "301", "1102")}


class BadRequest(ValueError):
    pass


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


@bp.errorhandler(WorldError)
@bp.errorhandler(BadRequest)
def _bad_request(exc: Exception) -> tuple[Response, int]:
    return _error(400, str(exc))


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _json() -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _number(data: dict[str, Any], key: str, default: float, low: float = 0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise BadRequest(f"{key!r} must be a number >= {low}")
    return float(value)


@bp.get("/state")
def state() -> Response:
    sb = sandbox()
    pending = sb.logins.pending()
    session = sb.logins.current()
    return jsonify({
        "login": sb.logins.login_state(),
        "uuid": pending.uuid if pending else None,
        "account": {"nick_name": sb.world.account.nick_name, "uin": sb.world.uin,
                    "web_login_refused": sb.world.web_login_refused},
        "counts": sb.world.counts(),
        "session": None if session is None else {
            "variant": session.variant, "user_name": session.name_of(SELF_ID), "initialized": session.initialized,
            "sync_position": session.position},
        "log_position": sb.log.position,
        "sent_count": len(sb.sent.entries),
        "friend_requests": [sb.world.people[i].nick_name for i in sb.world.friend_requests],
        "pending_invites": [{"group": sb.world.groups[g].nick_name, "nick_name": sb.world.people[p].nick_name}
                            for g, p in sb.pending_invites if g in sb.world.groups],
        "rate_limit": sb.limiter.describe(),
        "faults": {"mode": sb.faults.active(), "seconds": sb.faults.seconds},
        "settings": dataclasses.asdict(sb.settings),
    })


@bp.get("/world")
def world() -> Response:
    """The world in stable names, so tests can compare what a client lists with what exists."""
    w = sandbox().world
    with_members = request.args.get("members", "1") != "0"
    return jsonify({
        "account": {"nick_name": w.account.nick_name, "uin": w.uin},
        "friends": [{"nick_name": p.nick_name, "remark_name": p.remark_name, "sex": p.sex, "province": p.province,
                     "city": p.city, "signature": p.signature} for p in w.friends()],
        "groups": [{"name": g.nick_name, "owner": w.people[g.owner_id].nick_name, "owned_by_bot": g.owner_id == SELF_ID,
                    "saved": g.saved, "member_count": len(g.member_ids),
                    **({"members": [w.people[m].nick_name for m in g.member_ids]} if with_members else {})}
                   for g in w.groups.values()],
        "mps": [{"nick_name": m.nick_name} for m in w.mps.values()],
    })


@bp.post("/scan")
def scan() -> Response:
    data = _json()
    attempt = sandbox().logins.pending()
    if attempt is None:
        return _error(409, "no QR code is waiting to be scanned")
    attempt.move(SCANNED)
    if data.get("confirm", True):
        attempt.move("confirmed")
    return jsonify({"uuid": attempt.uuid, "login": attempt.state})


@bp.post("/messages")
def messages() -> Response:
    return jsonify(inject.inject_messages(sandbox(), _json()))


@bp.post("/friend_requests")
def friend_requests() -> Response:
    data = _json()
    if not isinstance(data.get("from"), str) or not data["from"]:
        raise BadRequest("'from' (a nick name) is required")
    return jsonify(inject.friend_request(sandbox(), data["from"], str(data.get("text", ""))))


@bp.post("/groups/join")
def groups_join() -> Response:
    data = _json()
    for key in ("group", "nick_name"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadRequest(f"{key!r} is required")
    inviter = data.get("inviter")
    return jsonify(inject.group_join(sandbox(), data["group"], data["nick_name"], str(data.get("how", "invite")),
                                     str(inviter) if inviter else None))


@bp.post("/world")
def world_op() -> Response:
    data = _json()
    op = worldops.OPS.get(str(data.get("op")))
    if op is None:
        raise BadRequest(f"'op' must be one of {', '.join(worldops.OPS)}")
    return jsonify(op(sandbox(), data))


@bp.post("/mp_articles")
def mp_articles() -> Response:
    data = _json()
    for key in ("mp", "title", "url"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadRequest(f"{key!r} is required")
    return jsonify(inject.mp_article(sandbox(), data["mp"], data["title"], data["url"], str(data.get("digest", ""))))


@bp.get("/sent")
def sent() -> Response:
    since = request.args.get("since", "0")
    if not since.isdigit():
        raise BadRequest("'since' must be a sequence number")
    sb = sandbox()
    return jsonify({"sent": sb.sent.since(int(since)), "last_seq": len(sb.sent.entries)})


@bp.post("/logout")
def remote_logout() -> Response:
    """The phone ends the web session: the client's next synccheck answers retcode 1101."""
    sb = sandbox()
    live = sb.logins.live_sessions()
    for session in live:
        session.ended = RET_KICKED
    sb.log.notify()
    return jsonify({"logged_out": len(live)})


@bp.post("/sessions/age")
def age_sessions() -> Response:
    """Move the live sessions' login time back by `seconds`: past settings.session_lifetime they end with 1100
    at the client's next request, as a real session does after a day or three."""
    seconds = _number(_json(), "seconds", 0)
    sb = sandbox()
    live = sb.logins.live_sessions()
    for session in live:
        session.created -= seconds
    sb.log.notify()  # wake the long polls so they notice now
    return jsonify({"aged": len(live), "session_lifetime": sb.settings.session_lifetime})


@bp.post("/faults")
def faults() -> Response:
    data = _json()
    mode = data.get("mode", "none")
    if mode not in ("none", "http_500", "slow", "drop"):
        raise BadRequest("'mode' must be none, http_500, slow or drop")
    seconds = _number(data, "seconds", 2.0 if mode == "slow" else 0.0)
    duration = data.get("duration")
    until = time.monotonic() + _number(data, "duration", 0) if duration is not None else None
    sandbox().faults = Faults(mode=mode, seconds=seconds, until=until)
    return jsonify({"mode": mode, "seconds": seconds, "duration": duration})


def _rate_limiter(data: Any) -> RateLimiter:
    if data in (None, False, {}):
        return RateLimiter()
    if not isinstance(data, dict):
        raise BadRequest("'rate_limit' must be an object like {\"sends\": 5, \"per_seconds\": 1}")
    sends = data.get("sends")
    if not isinstance(sends, int) or isinstance(sends, bool) or sends < 1:
        raise BadRequest("'sends' must be a positive integer")
    return RateLimiter(sends, _number(data, "per_seconds", 1.0, low=0.001))


@bp.post("/rate_limit")
def rate_limit() -> Response:
    data = _json()
    sandbox().limiter = _rate_limiter(None if data.get("off") else data)
    return jsonify({"rate_limit": sandbox().limiter.describe()})


@bp.get("/accounts")
def list_accounts() -> Response:
    """The further accounts this sandbox hosts (sandbox/accounts.py); the root paths are the default account."""
    dispatcher = current_app.extensions.get("sandbox_accounts")
    return jsonify({"accounts": dispatcher.describe() if dispatcher else []})


@bp.post("/accounts")
def add_account() -> Response:
    """A further account with a world of its own under /a/<name>/: {"name", and optionally "friends", "groups",
    "members", "mps", "seed", "saved_groups", "nick_name"}. Only on the root (an account hosts no accounts)."""
    from sandbox.accounts import AccountError

    dispatcher = current_app.extensions.get("sandbox_accounts")
    if dispatcher is None:
        raise BadRequest("accounts are added on the root sandbox, not inside an account")
    data = _json()
    name = data.pop("name", None)
    try:
        dispatcher.add(name, **data)
    except (AccountError, WorldError, TypeError) as exc:
        raise BadRequest(str(exc)) from exc
    return jsonify({"accounts": dispatcher.describe()}), 201


@bp.post("/reset")
def reset() -> Response:
    """A new world (missing parameters: the process's start values); clears sessions, log and sent list."""
    data = _json()
    sb = sandbox()
    base: WorldSpec = current_app.config["SANDBOX_START_SPEC"]
    spec = WorldSpec(
        **{k: data.get(k, getattr(base, k)) for k in ("friends", "groups", "members", "mps", "seed",
                                                                 "saved_groups")},
        account=data.get("account", base.account),
        explicit_friends=data.get("explicit_friends", []), explicit_groups=data.get("explicit_groups", []),
        explicit_mps=data.get("explicit_mps", []))
    for key in ("account",):
        if not isinstance(getattr(spec, key), dict):
            raise BadRequest(f"{key!r} must be an object")
    for key in ("explicit_friends", "explicit_groups", "explicit_mps"):
        if not isinstance(getattr(spec, key), list):
            raise BadRequest(f"{key!r} must be a list")
    settings = dataclasses.replace(current_app.config["SANDBOX_START_SETTINGS"])
    for key, value in (data.get("settings") or {}).items():
        if key not in SETTINGS_FIELDS:
            raise BadRequest(f"unknown setting {key!r}")
        if key in CHOICES:
            if value not in CHOICES[key]:
                raise BadRequest(f"{key} must be one of {', '.join(CHOICES[key])}")
        elif isinstance(getattr(settings, key), bool):
            if not isinstance(value, bool):
                raise BadRequest(f"{key} must be true or false")
        else:
            value = _number({key: value}, key, 0, low=1 if key == "sync_batch" else 0)
            value = int(value) if key in ("sync_batch", "groups_per_hour") else value
        setattr(settings, key, value)
    limiter = _rate_limiter(data.get("rate_limit"))
    try:
        sb.reset(spec, limiter)
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    sb.settings = settings
    sb.logins.qr_ttl = settings.qr_ttl
    return jsonify({"counts": sb.world.counts(), "account": sb.world.account.nick_name})
