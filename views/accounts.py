"""WeChat accounts as the signed-in admin sees them: the list, the switcher's choice, the all-accounts overview,
and (owners only, libs/roles.py) each admin's role and per-account grants.

GET  /api/accounts                    the accounts you may see, your role on each, which one is current
POST /api/accounts/current            choose the account of this dashboard session (the switcher)
GET  /api/accounts/overview           per account: login state, messages today, unread, failing send jobs
GET  /api/admins/<id>/grants          an admin's role and grants                      (owners)
PUT  /api/admins/<id>/grants          replace them                                     (owners)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_login import current_user
from sqlalchemy import func, or_, select

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json
from models.admin import AccountGrant, AdminUser
from models.audit import record
from models.message import Message
from models.send_job import SendJob
from models.types import utcnow
from models.wechat import Account
from views.account_context import SESSION_KEY, current_context, live_account, visible_accounts
from views.schemas.accounts import (
    AccountList,
    AccountsOverview,
    AdminGrants,
    AdminGrantsIn,
    ChooseAccountAnswer,
    ChooseAccountIn,
)
from wechat import control
from wechat.messages.notifications import unread

bp = Blueprint("accounts", __name__, url_prefix="/api")

FAILING_JOBS_DAYS = 7  # the overview's "failing send jobs": failed, or with failed recipients, this recent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _account_dict(account: Account, role: str, current_id: int | None, live_id: int | None) -> dict:
    return {"id": account.id, "puid": account.puid, "nick_name": account.nick_name,
            "last_login_at": _iso(account.last_login_at), "role": role, "current": account.id == current_id,
            "connected": account.id == live_id}


def _live_id() -> int | None:
    live = live_account()
    return live.id if live is not None else None


@bp.get("/accounts")
@api.validate(resp=Response(HTTP_200=AccountList))
def list_accounts():
    """The WeChat accounts you may see, with your role on each and which one your requests use by default."""
    current = current_context().account
    live_id = _live_id()
    return jsonify({"items": [_account_dict(account, role, current.id if current else None, live_id)
                              for account, role in visible_accounts(current_user)]})


@bp.post("/accounts/current")
@api.validate(json=ChooseAccountIn, resp=Response(HTTP_200=ChooseAccountAnswer, HTTP_404=ErrorBody))
def choose_account():
    """Choose the account of this dashboard session (the switcher). Tokens name the account on each request."""
    if g.get("auth_via_token"):
        raise ApiError(400, "a token has no session: name the account on each request (X-WeChat-Account or "
                            "?account=)", code="session_only")
    wanted = context_json().account_id
    roles = {account.id: (account, role) for account, role in visible_accounts(current_user)}
    if wanted not in roles:  # unknown and not yours look the same: nothing is told about others' accounts
        raise ApiError(404, f"no WeChat account {wanted} of yours", code="unknown_account")
    session[SESSION_KEY] = wanted
    account, role = roles[wanted]
    return jsonify({"account": _account_dict(account, role, wanted, _live_id())})


@bp.get("/accounts/overview")
@api.validate(resp=Response(HTTP_200=AccountsOverview))
def overview():
    """Every account you may see: login state, listener health, messages today, unread messages, failing send
    jobs."""
    visible = visible_accounts(current_user)
    ids = [account.id for account, _ in visible]
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    today = datetime.combine(datetime.now(zone).date(), datetime.min.time(), zone).astimezone(UTC)
    today_counts: dict[int, int] = {}
    failing: dict[int, int] = {}
    if ids:
        today_counts = dict(db.session.execute(
            select(Message.account_id, func.count()).where(Message.account_id.in_(ids), Message.created_at >= today)
            .group_by(Message.account_id)).all())
        since = utcnow() - timedelta(days=FAILING_JOBS_DAYS)
        failing = dict(db.session.execute(
            select(SendJob.account_id, func.count()).where(
                SendJob.account_id.in_(ids), SendJob.created_at >= since,
                or_(SendJob.status == "failed", SendJob.failed > 0)).group_by(SendJob.account_id)).all())
    state = control.bot_state()
    live_id = _live_id()
    login_state = state.login().get("state", "stopped") if live_id is not None else None
    live_unread = unread(state) if live_id in ids else 0
    age = state.heartbeat_age()  # the same rule as GET /api/status
    healthy = age is not None and age < 3 * current_app.config["LISTENER_HEARTBEAT"] and \
        state.listener().get("status") == "running"
    items = [{"id": account.id, "nick_name": account.nick_name, "role": role,
              "login_state": login_state if account.id == live_id else "not_connected",
              "messages_today": int(today_counts.get(account.id, 0)),
              "unread": live_unread if account.id == live_id else 0,
              "failing_jobs": int(failing.get(account.id, 0)),
              "listener_healthy": healthy if account.id == live_id else None,
              "slot": account.slot, "archived_slot": account.archived_slot, "paused": bool(account.paused),
              "archived": account.archived_at is not None} for account, role in visible]
    return jsonify({"items": items, "timezone": current_app.config["TIMEZONE"]})


def _admin_or_404(admin_id: int) -> AdminUser:
    admin = db.session.get(AdminUser, admin_id)
    if admin is None:
        raise ApiError(404, f"no admin {admin_id}")
    return admin


def _grants_body(admin: AdminUser) -> dict:
    grants = db.session.execute(db.select(AccountGrant).where(AccountGrant.admin_id == admin.id)
                                .order_by(AccountGrant.account_id)).scalars()
    return {"admin_id": admin.id, "role": admin.role,
            "grants": [{"account_id": grant.account_id, "role": grant.role} for grant in grants]}


@bp.get("/admins/<int:admin_id>/grants")
@api.validate(resp=Response(HTTP_200=AdminGrants, HTTP_404=ErrorBody))
def admin_grants(admin_id: int):
    """An admin's role and per-account grants (owners only)."""
    return jsonify(_grants_body(_admin_or_404(admin_id)))


@bp.put("/admins/<int:admin_id>/grants")
@api.validate(json=AdminGrantsIn, resp=Response(HTTP_200=AdminGrants, HTTP_404=ErrorBody))
def set_admin_grants(admin_id: int):
    """Replace an admin's role and grants (owners only). Takes effect on their next request, tokens included."""
    body: AdminGrantsIn = context_json()
    admin = _admin_or_404(admin_id)
    if admin.id == current_user.id and body.role != "owner":
        raise ApiError(400, "you cannot give up your own owner role; another owner can", code="self",
                       field="role")
    wanted = {grant.account_id: grant.role for grant in body.grants}
    if len(wanted) != len(body.grants):
        raise ApiError(400, "each account may appear once in 'grants'", field="grants")
    known = set(db.session.execute(select(Account.id).where(Account.id.in_(wanted))).scalars()) if wanted else set()
    if unknown := sorted(set(wanted) - known):
        raise ApiError(400, f"no WeChat account {unknown[0]}", field="grants", code="unknown_account")
    before = _grants_body(admin)
    admin.role = body.role
    db.session.execute(db.delete(AccountGrant).where(AccountGrant.admin_id == admin.id))
    # Owners need no grants; keeping a member's grants on an owner would only confuse a later demotion.
    if body.role == "member":
        db.session.add_all(AccountGrant(admin_id=admin.id, account_id=account_id, role=role,
                                        created_by=current_user.username) for account_id, role in wanted.items())
    db.session.flush()
    after = _grants_body(admin)
    record(current_user.username, "admin.grants", target=admin.username, ip=request.remote_addr,
           detail={"before": before, "after": after})
    db.session.commit()
    return jsonify(after)
