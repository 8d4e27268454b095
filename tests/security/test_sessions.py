"""Sessions and tokens end when they should: password change, "sign out everywhere", deactivation, token expiry;
token scopes; the audit of sign-in events. In-process against the real app, its migrated database and our Redis."""

from __future__ import annotations

import queue
import threading
import time
from datetime import timedelta

import pytest

from extensions import db
from libs.auth import load_user
from libs.sse import HEARTBEAT, Subscriber, get_hub
from libs.sse_revocation import REVOKED, RevocationWatch
from models.admin import AdminUser, ApiToken
from models.audit import AuditLog, record
from models.types import utcnow
from tests.conftest import ADMIN_PASSWORD, csrf_token_from, log_in

NEW_PASSWORD = "a brand new passphrase"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in_remembered(client) -> None:
    token = csrf_token_from(client)
    response = client.post("/login", data={"username": "root", "password": ADMIN_PASSWORD, "remember": "y",
                                           "csrf_token": token})
    assert response.status_code == 302


def stolen_copy(app, client):
    """Another browser holding only a copy of the remember-me cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("remember_token", client.get_cookie("remember_token").value)
    return thief


def audit_actions() -> list[str]:
    return db.session.execute(db.select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def test_a_stolen_remember_me_cookie_dies_with_a_password_change(app, client, admin, api_token):
    sign_in_remembered(client)
    thief = stolen_copy(app, client)
    assert thief.get("/api/me").status_code == 200  # the cookie alone signs in: it is worth stealing
    response = client.post("/api/me/password", json={"current": ADMIN_PASSWORD, "new": NEW_PASSWORD},
                           headers={"X-CSRFToken": csrf_token_from(client, "/")})
    assert response.status_code == 200
    assert thief.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200  # the session that changed it is re-issued
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 401  # tokens end too


def test_sign_out_everywhere_ends_every_session_and_token(app, client, admin, api_token):
    sign_in_remembered(client)
    other = app.test_client()
    log_in(other)
    thief = stolen_copy(app, client)
    response = other.post("/api/me/sessions/revoke", headers={"X-CSRFToken": csrf_token_from(other, "/")})
    assert response.status_code == 200
    for browser in (client, other, thief):
        assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 401
    assert "admin.sessions_revoke" in audit_actions()
    assert log_in(client).status_code == 302  # signing in again works


def test_session_ids_carry_the_generation(app, admin):
    assert admin.get_id() == f"{admin.id}:0"
    assert load_user(f"{admin.id}:0") is admin
    assert load_user(str(admin.id)) is None  # a cookie from before generations existed
    assert load_user(f"{admin.id}:1") is None
    assert load_user("١:0") is None  # non-ASCII digits
    admin.revoke_sessions()
    assert load_user(f"{admin.id}:1") is admin


@pytest.fixture
def second_admin(app) -> AdminUser:
    user = AdminUser(username="bob")
    user.set_password("bob's long password")
    db.session.add(user)
    db.session.commit()
    return user


def test_deactivating_an_admin_ends_their_sessions_and_tokens(app, client, admin, second_admin):
    bob = app.test_client()
    assert log_in(bob, "bob", "bob's long password").status_code == 302
    token, clear = ApiToken.issue(second_admin, "bob's script")
    db.session.add(token)
    db.session.commit()
    log_in(client)
    headers = {"X-CSRFToken": csrf_token_from(client, "/")}
    response = client.post(f"/api/admins/{second_admin.id}/deactivate", headers=headers)
    assert response.status_code == 200 and response.json["admin"]["is_active"] is False
    assert bob.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer(clear)).status_code == 401
    assert log_in(bob, "bob", "bob's long password").status_code == 401  # same answer as a wrong password
    assert client.post(f"/api/admins/{admin.id}/deactivate", headers=headers).status_code == 400  # not yourself
    assert client.post(f"/api/admins/{second_admin.id}/activate", headers=headers).status_code == 200
    assert log_in(bob, "bob", "bob's long password").status_code == 302
    assert client.get("/api/me", headers=bearer(clear)).status_code == 401  # old tokens stay ended
    assert {"admin.deactivate", "admin.activate", "admin.login_failed"} <= set(audit_actions())


def test_cli_deactivates_and_signs_out(runner, client, admin, api_token):
    assert runner.invoke(args=["revoke-sessions", "root"]).exit_code == 0
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 401
    result = runner.invoke(args=["deactivate-admin", "root"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(AdminUser, admin.id).is_active is False
    assert log_in(client).status_code == 401
    assert runner.invoke(args=["deactivate-admin", "root", "--activate"]).exit_code == 0
    assert log_in(client).status_code == 302
    assert runner.invoke(args=["deactivate-admin", "nobody"]).exit_code != 0


def test_cli_creates_scoped_expiring_tokens(runner, client, admin):
    result = runner.invoke(args=["create-token", "prometheus", "--scope", "metrics", "--expires-days", "30"])
    assert result.exit_code == 0, result.output
    clear = result.output.strip()
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.scope == "metrics" and token.expires_at - utcnow() > timedelta(days=29)
    assert client.get("/metrics", headers=bearer(clear)).status_code == 200
    assert client.get("/api/me", headers=bearer(clear)).status_code == 403
    assert runner.invoke(args=["create-token", "x", "--scope", "root"]).exit_code != 0


def test_expired_token_is_refused(client, admin, api_token):
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 401


def test_token_api_takes_scope_and_expiry(logged_in):
    headers = {"X-CSRFToken": csrf_token_from(logged_in, "/")}
    expires = (utcnow() + timedelta(days=90)).isoformat()
    response = logged_in.post("/api/tokens", json={"name": "dashboard tv", "scope": "read", "expires_at": expires},
                              headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["token"]["scope"] == "read" and response.json["token"]["state"] == "active"
    listed = logged_in.get("/api/tokens").json["items"][0]
    assert listed["scope"] == "read" and listed["expires_at"].startswith(expires[:16])
    clear = response.json["clear"]
    assert logged_in.get("/api/tokens", headers=bearer(clear)).status_code == 200
    assert logged_in.post("/api/tokens", json={"name": "x"}, headers=bearer(clear)).status_code == 403


@pytest.mark.parametrize("body", [
    {"scope": "root"}, {"scope": 1}, {"expires_at": "2001-01-01T00:00:00Z"}, {"expires_at": "0001-01-01"},
    {"expires_at": "9999-12-31T23:59:59-12:00"}, {"expires_at": "next tuesday"}, {"expires_at": 5},
    {"expires_at": "2999-01-01T00:00:00Z"}, {"expires_at": "2030-02-30"},
])
def test_token_api_refuses_bad_scope_or_expiry(logged_in, body):
    response = logged_in.post("/api/tokens", json={"name": "n", **body},
                              headers={"X-CSRFToken": csrf_token_from(logged_in, "/")})
    assert response.status_code == 400, (body, response.status_code)
    assert response.is_json and response.json["error"]
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_audit_writer_fits_values_to_the_columns(app, admin):
    entry = record("n" * 500, "a" * 200, target="群" * 1000 + "\x00", reason="r\x00" * 300, ip="9" * 100)
    db.session.commit()
    columns = AuditLog.__table__.c
    for name in ("actor", "action", "target", "reason", "ip"):
        value = getattr(entry, name)
        assert len(value) <= columns[name].type.length and "\x00" not in value, name
    assert entry.target.endswith("…")


def test_sign_in_events_are_audited(app, client, admin):
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    log_in(client, username="nobody", password="guess")
    for _ in range(app.config["LOGIN_RATE_LIMIT"]):
        log_in(client, password="guess")
    for _ in range(3):
        assert log_in(client, password="guess").status_code == 429
    rows = db.session.execute(db.select(AuditLog).order_by(AuditLog.id)).scalars().all()
    failed = [row for row in rows if row.action == "admin.login_failed"]
    assert failed[0].target == "nobody" and failed[0].ip == "10.9.9.9"
    assert len(failed) == 1 + app.config["LOGIN_RATE_LIMIT"]
    assert [row.action for row in rows].count("admin.login_throttled") == 1  # once per delay, not per request


# --- Open event streams end when their credential is revoked -----------------------------------------------------

@pytest.fixture
def streaming(app):
    """Re-check credentials every 0.2 s and beat every 0.5 s; stop the process's hub after the test."""
    app.config.update(SSE_AUTH_RECHECK_SECONDS=0.2, SSE_HEARTBEAT_SECONDS=0.5)
    hub = get_hub(app.config["REDIS_URL"])
    yield hub
    hub.stop()


class Reader:
    """Reads a streamed response in a thread, so a test can wait for its end with a deadline."""

    def __init__(self, response) -> None:
        assert response.status_code == 200, response.status_code
        self.response = response
        self.chunks: list[bytes] = []
        self.ended = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for chunk in self.response.response:
            self.chunks.append(chunk)
        self.ended.set()


def test_stream_ends_when_its_token_is_revoked(streaming, app, logged_in, api_token):
    others = set(streaming.subscribers)  # the hub is the process's: streams other tests left open stay in it
    reader = Reader(app.test_client().get("/stream", headers=bearer(api_token), buffered=False))
    time.sleep(1.0)
    assert not reader.ended.is_set() and HEARTBEAT in reader.chunks  # a valid credential keeps it open
    token_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    assert logged_in.delete(f"/api/tokens/{token_id}",
                            headers={"X-CSRFToken": csrf_token_from(logged_in, "/")}).status_code == 200
    revoked_at = time.monotonic()
    assert reader.ended.wait(5)
    assert time.monotonic() - revoked_at < 2
    assert reader.chunks[-1] == REVOKED
    assert set(streaming.subscribers) == others  # this stream's subscriber is gone


def test_stream_ends_when_the_session_is_signed_out_everywhere(streaming, app, admin):
    browser, other = app.test_client(), app.test_client()
    log_in(browser)
    log_in(other)
    reader = Reader(browser.get("/stream", buffered=False))
    time.sleep(0.5)
    assert not reader.ended.is_set()
    other.post("/api/me/sessions/revoke", headers={"X-CSRFToken": csrf_token_from(other, "/")})
    assert reader.ended.wait(5)
    assert reader.chunks[-1] == REVOKED


def test_one_check_per_credential_per_sweep():
    """A thousand tabs of one admin cost one check per sweep, and only the revoked credential's streams end."""
    checked: list[str] = []
    watch = RevocationWatch(lambda credential: checked.append(credential) or credential != "bob", interval=60)
    tabs = [watch.watch("root", Subscriber(queue.Queue(maxsize=4))) for _ in range(1000)]
    bobs = [watch.watch("bob", Subscriber(queue.Queue(maxsize=4))) for _ in range(3)]
    watch.sweep(tabs + bobs)
    assert sorted(checked) == ["bob", "root"]
    assert not any(tab.revoked or tab.subscriber.dropped for tab in tabs)
    assert all(bob.revoked and bob.subscriber.dropped and bob.subscriber.queue.qsize() == 1 for bob in bobs)


def test_cli_password_reset_ends_sessions_and_tokens(runner, client, admin, api_token):
    log_in(client)
    result = runner.invoke(args=["create-admin", "root", "--update", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer(api_token)).status_code == 401


def test_remember_me_cookie_is_bounded(client, admin):
    sign_in_remembered(client)
    cookie = client.get_cookie("remember_token")
    assert cookie.expires is not None
    assert cookie.expires - utcnow() < timedelta(days=31)
