"""Authentication for every route: deny by default.

A route is public only if its endpoint is listed in PUBLIC_ENDPOINTS. Everything else needs an admin session
(cookie, with CSRF on state changes) or an `Authorization: Bearer <token>` header (no cookies, so no CSRF).

Revocation: the session and the remember-me cookie carry "id:generation" (AdminUser.get_id) and a token carries the
generation it was issued under; bumping the admin's generation ends all of them at once. Scopes: what a token may
reach is decided here, in one place (`scope_allows`), never per view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from extensions import csrf, db, login_manager
from models.admin import TOKEN_SCOPES, AdminUser, ApiToken
from models.types import utcnow

PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writing last_used_at on every API call would turn reads into writes; once a minute is enough to audit use.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
SESSION_ID = re.compile(r"(\d{1,18}):(\d{1,18})", re.ASCII)
METRICS_ENDPOINT = "metrics.metrics"


@dataclass(frozen=True)
class Credential:
    """What authenticated a request: enough to tell later whether it has been revoked (e.g. by an open stream)."""

    admin_id: int
    generation: int
    token_id: int | None = None  # None: a cookie session


def scope_allows(scope: str, endpoint: str | None, method: str) -> bool:
    """The one rule for token scopes: `admin` reaches everything, `read` only reads (GET/HEAD, incl. /stream),
    `metrics` only reads /metrics. Sessions act with the `admin` scope."""
    if scope == "admin":
        return True
    if scope == "read":
        return method in SAFE_METHODS
    if scope == "metrics":
        return method in SAFE_METHODS and endpoint == METRICS_ENDPOINT
    return False


def wants_json() -> bool:
    """API clients get JSON errors, browsers get pages."""
    return (
        any(request.path == prefix or request.path.startswith(prefix + "/") for prefix in ("/api", "/stream"))
        or request.path == "/metrics"
        or "Authorization" in request.headers
        or request.accept_mimetypes.best == "application/json"
    )


def json_error(message: str, status: int, **extra):
    """{"error": message, **extra}; a 400 always also has `field` (or null) and `details` (docs/API.md)."""
    if status == 400:
        extra.setdefault("field", None)
        extra.setdefault("details", [{"field": extra["field"], "message": message,
                                      "type": extra.get("code") or "invalid"}])
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


@login_manager.user_loader
def load_user(user_id: str) -> AdminUser | None:
    """The session's or remember-me cookie's "id:generation"; a cookie from an older generation (before a password
    change, deactivation or "sign out everywhere") or in the old id-only form loads nobody."""
    match = SESSION_ID.fullmatch(user_id or "")
    if match is None:
        return None
    admin = db.session.get(AdminUser, int(match.group(1)))
    if admin is None or not admin.is_active or (admin.session_generation or 0) != int(match.group(2)):
        return None
    return admin


def credential_is_valid(credential: Credential) -> bool:
    """Whether a credential still works now (a fresh read from the database)."""
    if credential.token_id is not None:
        token = db.session.get(ApiToken, credential.token_id)
        return token is not None and token.state() == "active"
    admin = db.session.get(AdminUser, credential.admin_id)
    return admin is not None and admin.is_active and (admin.session_generation or 0) == credential.generation


def current_credential() -> Credential | None:
    return g.get("auth_credential")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _authenticate_token(clear: str) -> ApiToken | None:
    token = ApiToken.find_active(clear)
    if token is None:
        return None
    g.auth_via_token = True
    g.auth_scope = token.scope if token.scope in TOKEN_SCOPES else "read"
    g.auth_credential = Credential(token.admin_id, token.generation, token.id)
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token


def _unauthorized():
    if wants_json():
        return json_error("authentication required", 401)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _csrf_protect() -> None:
    # flask_wtf scans the form's field names and crashes (AttributeError, a 500) on a multipart part whose name
    # werkzeug could not parse (it is None); such a body is malformed, so refuse it as the CSRF failure it is.
    if any(not isinstance(key, str) for key in request.form):
        raise CSRFError("malformed form field names")
    csrf.protect()


def enforce_authentication():
    """before_request: every non-public endpoint needs an authenticated admin; cookie sessions need CSRF."""
    g.auth_via_token = False
    g.auth_scope = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method not in SAFE_METHODS:
            _csrf_protect()
        return None
    if "Authorization" in request.headers:
        # The header alone speaks for the request, whatever cookie the client also sends: a token's scope (or its
        # revocation) must not be bypassed by a session that happens to be signed in, nor the other way round.
        clear = _bearer_token()
        if clear is None:
            return json_error("malformed Authorization header; use 'Bearer <token>'", 401)
        token = _authenticate_token(clear)
        if token is None:
            return json_error("invalid, expired or revoked API token", 401)
        login_manager._update_request_context_with_user(token.admin)  # what login_user does, minus the cookie
    elif not current_user.is_authenticated:
        return _unauthorized()
    else:
        g.auth_scope = "admin"
        g.auth_credential = Credential(current_user.id, current_user.session_generation or 0)
    if not scope_allows(g.auth_scope, request.endpoint, request.method):
        return json_error(f"this token's scope ({g.auth_scope}) does not allow {request.method} {request.path}", 403,
                          code="scope")
    if request.method not in SAFE_METHODS and not g.auth_via_token:
        _csrf_protect()
    return None


def init_auth(app: Flask) -> None:
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        # Behind N reverse proxies the client is the Nth address from the right of X-Forwarded-For; without this
        # every client shares the proxy's address, and the sign-in throttle (per address) with it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(enforce_authentication)
