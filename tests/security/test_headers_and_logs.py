"""Security headers and cookie flags on every kind of answer; secrets never reach the web or worker logs."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from extensions import db
from models.admin import AdminUser
from tests.conftest import ADMIN_PASSWORD, log_in
from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.runtime.conftest import driver, stack  # noqa: F401  (fixtures)


def assert_secure_headers(response):
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/me", "/api/nope", "/", "/static/does-not-exist.js"])
def test_every_answer_has_the_security_headers(client, path):
    assert_secure_headers(client.get(path))


def test_session_cookie_is_httponly_and_samesite(client, admin):
    response = log_in(client)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0] and "Secure" not in cookies[0]


def test_session_cookie_is_secure_behind_https(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app({k: v for k, v in app_config.items()}, instance_path=str(tmp_path / "secure"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        user = AdminUser(username="root")
        user.set_password(ADMIN_PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        response = log_in(client)
        cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
        assert "Secure" in cookie and "HttpOnly" in cookie
        db.session.remove()
        db.engine.dispose()


@pytest.mark.integration
def test_secrets_never_appear_in_logs(stack, caplog):  # noqa: F811
    """Sign in with a password, call the API with a token, log WeChat in, send: then grep every log line."""
    caplog.set_level(logging.DEBUG)
    password = "S3cret-Passw0rd-for-log-check"
    with stack.app.app_context():
        admin = db.session.execute(db.select(AdminUser)).scalar_one()
        admin.set_password(password)
        db.session.commit()
    worker = stack.start_worker()
    stack.log_in()
    browser = stack.client()
    assert log_in(browser, "root", "wrong-" + password).status_code == 401
    assert log_in(browser, "root", password).status_code == 302
    assert stack.api("GET", "/api/status").status_code == 200
    assert stack.client().get("/api/me", headers={"Authorization": "Bearer wxa_forged" + password}).status_code == 401
    friend = stack.api("GET", "/api/wechat/chats?kind=friends").json["friends"][0]["puid"]
    assert stack.api("POST", "/api/messages/send", json={"to": [friend], "text": "hi"}).status_code == 202
    stack.wait_state("logged_in")
    worker.stop()
    logs = worker.log() + "\n" + caplog.text
    for secret in (password, stack.token, stack.env["SECRET_KEY"], stack.app.config["SECRET_KEY"]):
        assert secret not in logs, f"a secret ({secret[:4]}…) is in the logs"
    assert "WeChat login confirmed" in logs  # the logs were captured at all
