"""The WeChat account of every request: one resolver, and the one guard that checks the admin's role on it.

Which account a request is about, first match wins:
1. named by the request: the `X-WeChat-Account` header or the `?account=` query parameter (an account id, as
   GET /api/accounts lists them; both may be given only if they agree);
2. the account chosen in the dashboard's switcher (stored in the cookie session; tokens have no session);
3. today's single-account behaviour: the account logged in now, else the most recently seen one. A member
   (libs/roles.py) who may not see that one gets the first account they have a grant on.

A malformed id is a 400, an unknown one a 404, one the admin has no grant on a 403 (libs/roles.py decides), before
any view runs: a view only ever sees an account its caller may use (`current_account()`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app, g, render_template, request, session
from flask_login import current_user

from extensions import db
from libs import roles
from libs.auth import json_error, wants_json
from models.admin import AccountGrant
from models.wechat import Account

HEADER = "X-WeChat-Account"
QUERY = "account"
SESSION_KEY = "wechat_account_id"
ACCOUNT_ID = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)  # a row id below 2**63, no sign, no leading zero


class AccountRefused(Exception):
    """The request names an account it may not use: status, message and a stable `code`."""

    def __init__(self, status: int, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field


@dataclass(frozen=True)
class AccountContext:
    account: Account | None  # None: no account exists yet (a fresh installation), or none this admin may see
    role: str  # the admin's role on it (libs/roles.RANK)
    explicit: bool  # named by the request itself (header or query)


def grants_of(admin) -> dict[int, str]:
    """account id → role, for a member admin (owners need none)."""
    rows = db.session.execute(db.select(AccountGrant.account_id, AccountGrant.role)
                              .where(AccountGrant.admin_id == admin.id))
    return {account_id: role for account_id, role in rows}


def role_on(admin, account_id: int | None, grants: dict[int, str] | None = None) -> str:
    if admin.is_owner:
        return "owner"
    if account_id is None:
        return "none"
    grants = grants_of(admin) if grants is None else grants
    return roles.effective_role(False, grants.get(account_id))


def visible_accounts(admin) -> list[tuple[Account, str]]:
    """The accounts this admin may see, each with the admin's role on it, in id order."""
    if admin.is_owner:
        return [(account, "owner") for account in db.session.execute(
            db.select(Account).order_by(Account.id)).scalars()]
    grants = grants_of(admin)
    if not grants:
        return []
    rows = db.session.execute(db.select(Account).where(Account.id.in_(grants)).order_by(Account.id)).scalars()
    return [(account, grants[account.id]) for account in rows]


def parse_account_id(raw: str, source: str) -> int:
    text = raw.strip()
    if not ACCOUNT_ID.fullmatch(text) or int(text) > 2**63 - 1:
        raise AccountRefused(400, f"'{source}' must be an account id (a positive whole number, as GET "
                                  f"/api/accounts lists them)", "invalid_account", field=source)
    return int(text)


def _named_account_id() -> tuple[int, str] | None:
    header, query = request.headers.get(HEADER), request.args.getlist(QUERY)
    if len(query) > 1:
        raise AccountRefused(400, f"give '{QUERY}' once", "invalid_account", field=QUERY)
    named = [(parse_account_id(raw, source), source)
             for raw, source in ((header, HEADER), (query[0] if query else None, QUERY)) if raw is not None]
    if len({account_id for account_id, _ in named}) > 1:
        raise AccountRefused(400, f"'{HEADER}' and '{QUERY}' name different accounts", "invalid_account",
                             field=QUERY)
    return named[0] if named else None


def live_account() -> Account | None:
    """Today's single-account answer: the account logged in now (its row created if the sync has not yet), else
    the most recently seen one."""
    from wechat import control
    from wechat.accounts import ensure_account, login_account

    if "live_account" in g:  # once per request: the resolver, owns_slot and the views all ask
        return g.live_account
    # The default slot's bot (rows with a slot of their own have their own live state: owns_slot).
    login = control.bot_state(account=current_app.config["WECHAT_ACCOUNT"]).login()
    if login.get("state") == "logged_in" and login.get("puid"):
        known = db.session.execute(db.select(Account.id).where(Account.puid == login["puid"])).scalar_one_or_none()
        account = ensure_account(login["puid"], login.get("nick_name", ""))
        if known is None:
            # Kept at once: the page names this id in every call it makes (a row that rolled back with this request
            # would make them all "unknown account" until the first sync created it again).
            db.session.commit()
    else:
        account = login_account(login)
    g.live_account = account
    return account


def resolve(admin, via_token: bool) -> AccountContext:
    """The request's account and the admin's role on it (AccountRefused for a malformed or unknown id)."""
    named = _named_account_id()
    if named is not None:
        account = db.session.get(Account, named[0])
        if account is None:
            raise AccountRefused(404, f"no WeChat account {named[0]}", "unknown_account")
        return AccountContext(account, role_on(admin, account.id), explicit=True)
    grants = None if admin.is_owner else grants_of(admin)
    chosen = None if via_token else session.get(SESSION_KEY)
    if isinstance(chosen, int):
        account = db.session.get(Account, chosen)
        if account is not None and role_on(admin, account.id, grants) != "none":
            return AccountContext(account, role_on(admin, account.id, grants), explicit=False)
        session.pop(SESSION_KEY, None)  # removed, or the grant was withdrawn: fall back quietly
    account = live_account()
    if account is not None and role_on(admin, account.id, grants) != "none":
        return AccountContext(account, role_on(admin, account.id, grants), explicit=False)
    if grants:
        first = db.session.get(Account, min(grants))
        return AccountContext(first, role_on(admin, first.id, grants), explicit=False)
    return AccountContext(None, "owner" if admin.is_owner else "none", explicit=False)


def current_context() -> AccountContext:
    """The resolved context of this request: by the guard when the request named an account or needs a grant,
    else now, when a view first asks (owners and self-service routes)."""
    context = g.get("account_context")
    if context is None:
        context = g.account_context = resolve(current_user, bool(g.get("auth_via_token")))
        use_slot(context.account)
    return context


def use_slot(account: Account | None) -> None:
    """Point this request's bot state, commands and queues (wechat/control.py) at the listener slot serving
    `account`: its own slot (an account added with `flask accounts add`), else the default one."""
    from wechat import control

    control.use_account(account.slot if account is not None and account.slot else None)


def current_account() -> Account | None:
    return current_context().account


def current_account_id() -> int | None:
    account = current_account()
    return account.id if account is not None else None


def _refuse(status: int, message: str, code: str, field: str | None = None):
    if wants_json():
        return json_error(message, status, code=code, **({"field": field} if field else {}))
    return render_template("error.html", status=status, message=message), status


def authorize_request():
    """before_request, after libs/auth.enforce_authentication: resolve the account, then the one role check.

    Owners and self-service routes resolve the fallback account lazily (when a view asks), so a route that never
    needs an account (e.g. /api/me) does not start needing Redis."""
    g.account_context = None
    if request.endpoint is None or request.endpoint in _public_endpoints() or not current_user.is_authenticated:
        return None  # no route at all (the 404 follows) or a public one (auth already let it through)
    needed = roles.needed_role(request.endpoint, request.method)
    explicit = HEADER in request.headers or QUERY in request.args
    if not explicit and (current_user.is_owner or needed == "none"):
        if needed in ("viewer", "operator") and request.method not in roles.SAFE_METHODS:
            return _archived_refusal(current_context())  # a write needs its account now: an archive is read-only
        if isinstance(session.get(SESSION_KEY), int) and not g.get("auth_via_token"):
            current_context()  # an account picked in the switcher: its slot's state, not the default one's
        return None
    try:
        context = resolve(current_user, bool(g.get("auth_via_token")))
    except AccountRefused as refused:
        return _refuse(refused.status, refused.message, refused.code, refused.field)
    g.account_context = context
    use_slot(context.account)
    # An account named explicitly must be one the admin may see, on every route (self-service ones too): a client
    # is never told anything "about" an account that is not theirs.
    if context.explicit and context.role == "none":
        return _refuse(403, f"you have no access to WeChat account {context.account.id}", "role")
    if not roles.role_allows(context.role, request.endpoint, request.method):
        if context.account is None and needed != "owner":
            return _refuse(403, "you have no access to any WeChat account yet; ask an owner for a grant", "role")
        what = {"owner": "an owner", "operator": "an operator of this account",
                "viewer": "a viewer of this account"}[needed]
        return _refuse(403, f"only {what} may {request.method} {request.path}", "role")
    if needed in ("viewer", "operator") and request.method not in roles.SAFE_METHODS:
        return _archived_refusal(context)
    return None


def _archived_refusal(context: AccountContext):
    """A removed account whose archive was kept (wechat/account_admin.py) is read-only: every write about it is
    refused (409), whatever the admin's role; owners may still delete it (DELETE /api/accounts/<id>)."""
    account = context.account
    if account is not None and account.archived_at is not None:
        return _refuse(409, f"WeChat account {account.id} is archived: its data is read-only", "archived")
    return None


def _public_endpoints() -> frozenset[str]:
    from libs.auth import PUBLIC_ENDPOINTS

    return PUBLIC_ENDPOINTS


def owns_slot(account: Account | None) -> bool:
    """Whether the live bot's Redis state (unread counters, bot queue, login) belongs to `account`: it is the
    account logged in now, or, while none is, the most recently seen one (today's single-account answer). The
    worker side runs one live account per installation today; other accounts have no live state. Without an
    account (a fresh installation) the live state is the installation's."""
    if account is None:
        # No account yet (a fresh installation; members without one were refused by the guard): the live state is
        # the installation's, shown as before.
        return True
    if account.slot:
        return True  # an account with a listener slot of its own (wechat/workers/slots.py): its state is its slot's
    live = live_account()
    return live is not None and live.id == account.id


def require_live(account: Account | None) -> None:
    """For commands that go to the bot: refuse (409) unless `account` is the one the bot runs; a command meant for
    another account must never be carried out by this one."""
    from libs.api import ApiError

    if account is not None and not owns_slot(account):
        raise ApiError(409, f"WeChat account {account.id} is not the one connected now", code="not_connected")


def audit_account() -> int | None:
    """The account an audit entry of this request is about: the request's account on account-owned routes only
    (a sign-in or a token change is about the installation, not an account)."""
    if not current_user.is_authenticated or roles.needed_role(request.endpoint, request.method) not in (
            "viewer", "operator"):
        return None
    return current_account_id()


def init_account_context(app: Flask) -> None:
    from models import audit

    audit.request_account = audit_account
    app.before_request(authorize_request)

    @app.context_processor
    def account_switcher() -> dict:
        return {"account_switcher": switcher}


def require_account(message: str = "no WeChat account yet: log in once first") -> Account:
    """The request's account, or a 409 when there is none yet (a fresh installation)."""
    from libs.api import ApiError

    account = current_account()
    if account is None:
        raise ApiError(409, message, code="no_account")
    return account


def switcher() -> dict:
    """For templates: the accounts the signed-in admin may see and the current one (the nav's switcher), or
    nothing when the state cannot be read (Redis down: the page still renders)."""
    empty = {"accounts": [], "current": None}
    if not current_user.is_authenticated:
        return empty
    try:
        context = current_context()
    except Exception:  # noqa: BLE001  (a refused account, or Redis unavailable: the page renders without it)
        return empty
    return {"accounts": [account for account, _ in visible_accounts(current_user)],
            "current": context.account.id if context.account is not None else None}
