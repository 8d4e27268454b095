"""Authentication for every route: deny by default.

A route is public only if its endpoint is listed in PUBLIC_ENDPOINTS. Everything else needs an admin session
(cookie, with CSRF on state changes) or an `Authorization: Bearer <token>` header (no cookies, so no CSRF).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from extensions import csrf, db, login_manager
from models.admin import AdminUser, ApiToken
from models.types import utcnow

PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writing last_used_at on every API call would turn reads into writes; once a minute is enough to audit use.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def wants_json() -> bool:
    """API clients get JSON errors, browsers get pages."""
    return (
        any(request.path == prefix or request.path.startswith(prefix + "/") for prefix in ("/api", "/stream"))
        or request.path == "/metrics"
        or "Authorization" in request.headers
        or request.accept_mimetypes.best == "application/json"
    )


def json_error(message: str, status: int, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


@login_manager.user_loader
def load_user(user_id: str) -> AdminUser | None:
    if not user_id.isdigit():
        return None
    return db.session.get(AdminUser, int(user_id))


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


@login_manager.request_loader
def load_user_from_token(req) -> AdminUser | None:
    clear = _bearer_token()
    if clear is None:
        return None
    token = ApiToken.find_active(clear)
    if token is None:
        return None
    g.auth_via_token = True
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token.admin


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
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method not in SAFE_METHODS:
            _csrf_protect()
        return None
    if "Authorization" in request.headers and _bearer_token() is None:
        return json_error("malformed Authorization header; use 'Bearer <token>'", 401)
    if not current_user.is_authenticated:
        if _bearer_token() is not None:
            return json_error("invalid or revoked API token", 401)
        return _unauthorized()
    if request.method not in SAFE_METHODS and not g.auth_via_token:
        _csrf_protect()
    return None


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(enforce_authentication)
