"""Small JSON endpoints the dashboard's pages need and no other module owns: the audit log, admins, API tokens
and the signed-in admin's password. Everything here is under /api and needs an admin (libs/auth.py)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import func, or_

from extensions import db
from libs.api import ApiError, field, json_body, page_args
from libs.validation import column_length
from models.admin import AdminUser, ApiToken
from models.audit import AuditLog, record
from models.types import utcnow
from models.wechat import Contact, Group
from views.contacts import current_account_id

bp = Blueprint("pages", __name__, url_prefix="/api")

MIN_PASSWORD_LENGTH = 10


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _audit(action: str, target: str | None = None, **detail) -> None:
    record(current_user.username, action, target=target, detail=detail or None, ip=request.remote_addr)


@bp.get("/audit")
def audit_log():
    page, per_page = page_args()
    query = db.select(AuditLog)
    text = request.args.get("q", "").strip()
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(AuditLog.actor.ilike(pattern), AuditLog.action.ilike(pattern),
                                AuditLog.target.ilike(pattern)))
    if action := request.args.get("action", "").strip():
        query = query.where(AuditLog.action == action)
    total = db.session.execute(db.select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(AuditLog.id.desc()).offset((page - 1) * per_page).limit(per_page))
    items = [{"id": row.id, "created_at": _iso(row.created_at), "actor": row.actor, "action": row.action,
              "target": row.target, "reason": row.reason, "detail": row.detail, "ip": row.ip}
             for row in rows.scalars()]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.get("/admins")
def list_admins():
    admins = db.session.execute(db.select(AdminUser).order_by(AdminUser.username)).scalars()
    return jsonify({"items": [{"id": admin.id, "username": admin.username, "is_active": admin.is_active,
                               "created_at": _iso(admin.created_at), "last_login_at": _iso(admin.last_login_at),
                               "is_me": admin.id == current_user.id} for admin in admins]})


def _token_dict(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "created_at": _iso(token.created_at),
            "last_used_at": _iso(token.last_used_at), "revoked_at": _iso(token.revoked_at)}


@bp.get("/tokens")
def list_tokens():
    """The signed-in admin's own tokens (the clear token is never shown again after creation)."""
    tokens = db.session.execute(
        db.select(ApiToken).where(ApiToken.admin_id == current_user.id).order_by(ApiToken.id.desc())).scalars()
    return jsonify({"items": [_token_dict(token) for token in tokens]})


@bp.post("/tokens")
def create_token():
    name = field(json_body(), "name", str, max_length=column_length(ApiToken.name), display_name=True).strip()
    if not name:
        raise ApiError(400, "give the token a name (what uses it)")
    token, clear = ApiToken.issue(db.session.get(AdminUser, current_user.id), name)
    db.session.add(token)
    db.session.flush()
    _audit("token.create", name, token_id=token.id)
    db.session.commit()
    return jsonify({"token": _token_dict(token), "clear": clear}), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.admin_id != current_user.id:
        raise ApiError(404, f"no token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _audit("token.revoke", token.name, token_id=token.id)
        db.session.commit()
    return jsonify({"token": _token_dict(token)})


@bp.post("/me/password")
def change_password():
    data = json_body()
    current = field(data, "current", str, max_length=256)
    new = field(data, "new", str, max_length=256)
    admin = db.session.get(AdminUser, current_user.id)
    if not admin.check_password(current):
        raise ApiError(403, "the current password is wrong", code="wrong_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ApiError(400, f"the new password needs at least {MIN_PASSWORD_LENGTH} characters", code="too_short")
    admin.set_password(new)
    _audit("admin.password", admin.username)
    db.session.commit()
    return jsonify({"ok": True})


MAX_NAMES = 500


@bp.get("/names")
def chat_names():
    """Names for puids the pages hold (automation settings, auto-reply groups, schedule recipients):
    `?puid=a&puid=b` → `{"items": {puid: {"name", "kind": "contact"|"mp"|"group"}}}`; unknown puids are left out."""
    puids = list(dict.fromkeys(p.strip() for p in request.args.getlist("puid") if p.strip()))[:MAX_NAMES]
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
