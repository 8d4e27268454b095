"""Small JSON endpoints the dashboard's pages need and no other module owns: the audit log, admins, API tokens
and the signed-in admin's password. Everything here is under /api and needs an admin (libs/auth.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, or_

from extensions import db
from libs.api import ApiError, page_args
from libs.api_spec import ErrorBody, Response, api, context_json, context_query
from libs.auth import json_error
from libs.login_throttle import client_address, login_throttle
from models.admin import AdminUser, ApiToken
from models.audit import AuditLog, record
from models.types import utcnow
from models.wechat import Contact, Group
from views.account_context import current_account_id, current_context
from views.schemas.admin import (
    AdminAnswer,
    Admins,
    AuditPage,
    AuditQuery,
    Names,
    NamesQuery,
    PasswordIn,
    TokenAnswer,
    TokenCreated,
    TokenIn,
    Tokens,
)
from views.schemas.common import Ok

bp = Blueprint("pages", __name__, url_prefix="/api")

MAX_TOKEN_LIFETIME = timedelta(days=3660)  # ten years: anything longer is a typo, not a plan


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _audit(action: str, target: str | None = None, **detail) -> None:
    record(current_user.username, action, target=target, detail=detail or None, ip=request.remote_addr)


@bp.get("/audit")
@api.validate(query=AuditQuery, resp=Response(HTTP_200=AuditPage))
def audit_log():
    """The audit log, newest first (?q= searches actor, action and target; ?action= filters)."""
    page, per_page = page_args()
    # The request's account only (views/account_context.py); owners also see the installation's own entries
    # (sign-ins, tokens, and everything from before entries named an account).
    context = current_context()
    mine = AuditLog.account_id == (context.account.id if context.account is not None else None)
    query = db.select(AuditLog).where(mine | AuditLog.account_id.is_(None) if context.role == "owner" else mine)
    text = context_query().q
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(AuditLog.actor.ilike(pattern), AuditLog.action.ilike(pattern),
                                AuditLog.target.ilike(pattern)))
    if action := context_query().action:
        query = query.where(AuditLog.action == action)
    total = db.session.execute(db.select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(AuditLog.id.desc()).offset((page - 1) * per_page).limit(per_page))
    items = [{"id": row.id, "created_at": _iso(row.created_at), "actor": row.actor, "action": row.action,
              "target": row.target, "reason": row.reason, "detail": row.detail, "ip": row.ip,
              "account_id": row.account_id}
             for row in rows.scalars()]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


def _admin_dict(admin: AdminUser) -> dict:
    return {"id": admin.id, "username": admin.username, "is_active": admin.is_active, "role": admin.role,
            "created_at": _iso(admin.created_at), "last_login_at": _iso(admin.last_login_at),
            "is_me": admin.id == current_user.id}


@bp.get("/admins")
@api.validate(resp=Response(HTTP_200=Admins))
def list_admins():
    """Every admin."""
    admins = db.session.execute(db.select(AdminUser).order_by(AdminUser.username)).scalars()
    return jsonify({"items": [_admin_dict(admin) for admin in admins]})


def _other_admin(admin_id: int) -> AdminUser:
    admin = db.session.get(AdminUser, admin_id)
    if admin is None:
        raise ApiError(404, f"no admin {admin_id}")
    if admin.id == current_user.id:
        raise ApiError(400, "you cannot (de)activate yourself; use 'sign out everywhere' to end your sessions",
                       code="self")
    return admin


@bp.post("/admins/<int:admin_id>/deactivate")
@api.validate(resp=Response(HTTP_200=AdminAnswer, HTTP_404=ErrorBody))
def deactivate_admin(admin_id: int):
    """Lock an admin out: every session and token of theirs ends at once, and they cannot sign in again."""
    admin = _other_admin(admin_id)
    if admin.is_active:
        admin.deactivate()
        _audit("admin.deactivate", admin.username)
        db.session.commit()
    return jsonify({"admin": _admin_dict(admin)})


@bp.post("/admins/<int:admin_id>/activate")
@api.validate(resp=Response(HTTP_200=AdminAnswer, HTTP_404=ErrorBody))
def activate_admin(admin_id: int):
    """Let a deactivated admin sign in again."""
    admin = _other_admin(admin_id)
    if not admin.is_active:
        admin.is_active_flag = True
        _audit("admin.activate", admin.username)
        db.session.commit()
    return jsonify({"admin": _admin_dict(admin)})


@bp.post("/me/sessions/revoke")
@api.validate(resp=Response(HTTP_200=Ok))
def sign_out_everywhere():
    """End every session (remember-me cookies included) and every API token of the signed-in admin, this one too."""
    admin = db.session.get(AdminUser, current_user.id)
    admin.revoke_sessions()
    _audit("admin.sessions_revoke", admin.username)
    db.session.commit()
    logout_user()
    return jsonify({"ok": True})


def _token_dict(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "scope": token.scope, "state": token.state(),
            "created_at": _iso(token.created_at), "expires_at": _iso(token.expires_at),
            "last_used_at": _iso(token.last_used_at), "revoked_at": _iso(token.revoked_at)}


def _expiry(raw: str | None) -> datetime | None:
    """`expires_at`: an ISO 8601 time (UTC when it has no offset) between now and ten years ahead, or null."""
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(400, "expires_at must be an ISO 8601 time, e.g. 2030-01-31T00:00:00Z",
                       code="invalid_expiry") from None
    now = utcnow()
    if value <= now:
        raise ApiError(400, "expires_at is in the past", code="invalid_expiry")
    if value - now > MAX_TOKEN_LIFETIME:
        raise ApiError(400, f"expires_at is more than {MAX_TOKEN_LIFETIME.days} days ahead; leave it empty for "
                            "a token that does not expire", code="invalid_expiry")
    return value


@bp.get("/tokens")
@api.validate(resp=Response(HTTP_200=Tokens))
def list_tokens():
    """The signed-in admin's own tokens (the clear token is never shown again after creation)."""
    tokens = db.session.execute(
        db.select(ApiToken).where(ApiToken.admin_id == current_user.id).order_by(ApiToken.id.desc())).scalars()
    return jsonify({"items": [_token_dict(token) for token in tokens]})


@bp.post("/tokens")
@api.validate(json=TokenIn, resp=Response(HTTP_201=TokenCreated))
def create_token():
    """Issue an API token for the signed-in admin."""
    body: TokenIn = context_json()
    name, scope = body.name, body.scope
    expires_at = _expiry(body.expires_at)
    token, clear = ApiToken.issue(db.session.get(AdminUser, current_user.id), name, scope, expires_at)
    db.session.add(token)
    db.session.flush()
    _audit("token.create", name, token_id=token.id, scope=scope, expires_at=_iso(expires_at))
    db.session.commit()
    return jsonify({"token": _token_dict(token), "clear": clear}), 201


@bp.delete("/tokens/<int:token_id>")
@api.validate(resp=Response(HTTP_200=TokenAnswer, HTTP_404=ErrorBody))
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.admin_id != current_user.id:
        raise ApiError(404, f"no token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _audit("token.revoke", token.name, token_id=token.id)
        db.session.commit()
    return jsonify({"token": _token_dict(token)})


@bp.post("/me/password")
@api.validate(json=PasswordIn, resp=Response(HTTP_200=Ok, HTTP_403=ErrorBody, HTTP_429=ErrorBody, HTTP_503=ErrorBody))
def change_password():
    """Change the signed-in admin's password: throttled like sign-in (a stolen session must not be a free
    password oracle); every other session and token ends, this cookie session is re-issued."""
    body: PasswordIn = context_json()
    current, new = body.current, body.new
    admin = db.session.get(AdminUser, current_user.id)
    throttle = login_throttle()
    try:
        attempt = throttle.acquire(client_address(), admin.username)
    except redis.RedisError:
        raise ApiError(503, "password change is unavailable right now (Redis unreachable)") from None
    if attempt.wait_seconds:
        if attempt.newly_throttled:
            _audit("admin.password_throttled", admin.username, retry_after=attempt.wait_seconds)
            db.session.commit()
        response = json_error(f"too many wrong passwords; try again in {attempt.wait_seconds} s", 429,
                              code="throttled", retry_after=attempt.wait_seconds)
        response.headers["Retry-After"] = str(attempt.wait_seconds)
        return response
    if not admin.check_password(current):
        _audit("admin.password_failed", admin.username)
        db.session.commit()
        raise ApiError(403, "the current password is wrong", code="wrong_password")
    throttle.succeeded(client_address(), admin.username)
    admin.change_password(new)  # bumps the session generation
    _audit("admin.password", admin.username)
    db.session.commit()
    if not g.get("auth_via_token"):
        remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        login_user(admin, remember=remember_cookie in request.cookies)
    return jsonify({"ok": True})


@bp.get("/names")
@api.validate(query=NamesQuery, resp=Response(HTTP_200=Names))
def chat_names():
    """Names for puids the pages hold (automation settings, auto-reply groups, schedule recipients):
    `?puid=a&puid=b` → `{"items": {puid: {"name", "kind": "contact"|"mp"|"group"}}}`; unknown puids are left out."""
    puids = list(dict.fromkeys(p.strip() for p in context_query().puid if p.strip()))
    account_id = current_account_id()
    items: dict[str, dict] = {}
    if puids and account_id is not None:
        for contact in db.session.execute(db.select(Contact).where(
                Contact.account_id == account_id, Contact.puid.in_(puids))).scalars():
            items[contact.puid] = {"name": contact.remark_name or contact.nick_name or contact.puid,
                                   "kind": "mp" if contact.is_mp else "contact"}
        for group in db.session.execute(db.select(Group).where(
                Group.account_id == account_id, Group.puid.in_(puids))).scalars():
            items[group.puid] = {"name": group.nick_name or group.puid, "kind": "group"}
    return jsonify({"items": items})
