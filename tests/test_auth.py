import re

import pytest

from extensions import db
from libs.auth import PUBLIC_ENDPOINTS
from libs.sse import get_hub
from models.admin import TOKEN_SCOPES, AdminUser, ApiToken, hash_token
from models.audit import AuditLog
from models.types import utcnow
from tests.conftest import ADMIN_PASSWORD, csrf_token_from, log_in

SAMPLE_VALUES = {"int": "1", "string": "x", "path": "x/y", "uuid": "00000000-0000-0000-0000-000000000000"}


def concrete_url(rule) -> str:
    url = rule.rule
    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        value = SAMPLE_VALUES.get(converter or "string", "1")
        url = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", value, url)
    return url


def test_every_non_public_route_requires_authentication(app, client):
    """Walk the whole url_map: without credentials, API routes answer 401 JSON and pages redirect to login."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = concrete_url(rule)
            response = client.open(url, method=method)
            if url.startswith("/api/") or url in ("/stream", "/metrics"):
                assert response.status_code == 401, (method, url, response.status_code)
                assert response.is_json and response.json["error"], (method, url)
            else:
                assert response.status_code in (302, 400), (method, url, response.status_code)
                if response.status_code == 302:
                    assert "/login" in response.headers["Location"], (method, url)
            checked += 1
    assert checked >= 3  # the walk really walked


def scope_should_allow(scope: str, url: str, method: str) -> bool:
    """The intended scopes, written out independently of libs.auth.scope_allows."""
    return scope == "admin" or (scope == "read" and method == "GET") or (
        scope == "metrics" and method == "GET" and url == "/metrics")


@pytest.mark.parametrize("scope", TOKEN_SCOPES)
def test_every_route_obeys_the_token_scope(app, client, admin, scope):
    """Walk the whole url_map with a token of each scope: what the scope does not allow is a 403 JSON before the
    view runs; what it allows gets past authentication (whatever the view then answers)."""
    hub = get_hub(app.config["REDIS_URL"])
    checked = 0
    try:
        for rule in app.url_map.iter_rules():
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                url = concrete_url(rule)
                # A fresh token per request: an allowed call may revoke the caller's tokens ("sign out everywhere").
                token, clear = ApiToken.issue(db.session.get(AdminUser, admin.id), "walk", scope)
                db.session.add(token)
                db.session.commit()
                response = client.open(url, method=method, headers={"Authorization": f"Bearer {clear}"},
                                       buffered=url != "/stream")
                refused = response.status_code == 403 and response.is_json and response.json.get("code") == "scope"
                response.close()
                if scope_should_allow(scope, url, method):
                    assert response.status_code != 401 and not refused, (scope, method, url, response.status_code)
                else:
                    assert refused, (scope, method, url, response.status_code)
                checked += 1
    finally:
        hub.stop()
    assert checked >= 50  # the walk really walked


def test_public_routes_are_only_login_health_and_static(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()} & PUBLIC_ENDPOINTS
    assert public == {"auth.login", "health.healthz", "static"}


def test_login_page_is_public_and_has_csrf(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_login_and_logout(client, admin):
    response = log_in(client)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/me").json == {"username": "root", "id": admin.id}
    token = csrf_token_from(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/me").status_code == 401
    assert db.session.execute(db.select(AuditLog.action)).scalars().all() == ["admin.login", "admin.logout"]


def test_wrong_password_is_refused(client, admin):
    response = log_in(client, password="wrong password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)  # zh-CN is the default language
    assert client.get("/api/me").status_code == 401


def test_login_without_csrf_token_is_refused(client, admin):
    response = client.post("/login", data={"username": "root", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/me").status_code == 401


def test_state_change_with_session_but_without_csrf_is_refused(logged_in):
    response = logged_in.post("/logout")
    assert response.status_code == 400
    assert logged_in.get("/api/me").status_code == 200  # still signed in: the forged logout did nothing


def test_failed_logins_are_rate_limited(app, client, admin):
    limit = app.config["LOGIN_RATE_LIMIT"]
    for _ in range(limit):
        assert log_in(client, password="guess").status_code == 401
    blocked = log_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in blocked.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Too many failed sign-ins" in log_in(client).get_data(as_text=True)


def test_guesses_from_elsewhere_do_not_lock_the_admin_out(app, client, admin):
    """The throttle counts per address and per address + username, never per username alone."""
    client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for _ in range(app.config["LOGIN_RATE_LIMIT"]):
        log_in(client, password="guess")
    assert log_in(client, password="guess").status_code == 429
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert log_in(client).status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/groups?x=1"])
def test_only_same_site_paths_are_followed_after_login(client, admin, target):
    token = csrf_token_from(client)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "root", "password": ADMIN_PASSWORD, "csrf_token": token})
    expected = target if target == "/groups?x=1" else "/chats"
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: a=b", "/x\nLocation: https://evil.example/", "/\t/evil.example",
                                    "\n//evil.example", "/a\x00b", "/\x7f", "http:/evil.example", " //evil.example",
                                    "/" + "a" * 5000])
def test_next_with_control_characters_or_odd_urls_goes_to_the_landing_page(client, admin, target):
    """Never a 500 (CR/LF in a header) and never off-site (browsers drop tabs and newlines inside URLs)."""
    token = csrf_token_from(client)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "root", "password": ADMIN_PASSWORD, "csrf_token": token})
    if "\x00" in target:  # NUL in any query value is refused before a view runs (libs/api.py)
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302 and response.headers["Location"] == "/chats"
    again = client.get("/login", query_string={"next": target})  # already signed in: the same rule
    assert again.status_code == 302 and again.headers["Location"] == "/chats"


def test_next_may_be_a_unicode_path(client, admin):
    token = csrf_token_from(client)
    response = client.post("/login", query_string={"next": "/groups?q=群"},
                           data={"username": "root", "password": ADMIN_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/groups?q=")


def test_page_redirects_to_login_with_next(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_bearer_token_authenticates_without_csrf(client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/me", headers=headers).json["username"] == "root"
    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert stored.token_hash == hash_token(api_token)
    assert api_token not in stored.token_hash  # only the hash is kept
    assert stored.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer wxa_forged", "Bearer ", "Basic cm9vdDpwdw==", "wxa_no_scheme"])
def test_forged_or_malformed_tokens_are_refused(client, api_token, header):
    response = client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json


def test_revoked_token_is_refused(client, api_token):
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    token.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(client, admin):
    log_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_unknown_api_route_gets_json_404(logged_in):
    response = logged_in.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.is_json
