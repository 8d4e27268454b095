"""The password-guess throttle: atomic under parallel guesses, progressive, per address and address + username."""

from __future__ import annotations

import threading

import pytest

import models.admin
from libs.login_throttle import LoginThrottle, address_key
from tests.conftest import ADMIN_PASSWORD, IsolatedClient, csrf_token_from, log_in


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("libs.login_throttle.time.time", clock)
    return clock


@pytest.fixture
def client_redis(redis_server):
    client = redis_server.client()
    client.flushall()
    return client


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password hash evaluated (real ones and the dummy of unknown usernames)."""
    calls: list[str] = []
    real = models.admin.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(models.admin, "check_password_hash", counting)
    return calls


def test_delay_doubles_past_the_limit_and_resets_after_the_window(client_redis, clock):
    throttle = LoginThrottle(client_redis, limit=2, window_seconds=60, address_limit=100)
    assert throttle.acquire("10.0.0.1", "root").wait_seconds == 0
    assert throttle.acquire("10.0.0.1", "root").wait_seconds == 0  # the 2nd reaches the limit: 5 s to wait
    waits = []
    for _ in range(4):
        attempt = throttle.acquire("10.0.0.1", "root")
        waits.append(attempt.wait_seconds)
        clock.now += attempt.wait_seconds
        assert throttle.acquire("10.0.0.1", "root").wait_seconds == 0
    assert waits == [5, 10, 20, 40]
    # Capped by the window; and "ROOT " is the same username as "root" (compared as the sign-in compares them).
    assert throttle.acquire("10.0.0.1", "ROOT ").wait_seconds == 60
    assert throttle.acquire("10.0.0.2", "root").wait_seconds == 0  # another address is not affected
    clock.now += 120
    throttle.client.delete(*throttle._keys("10.0.0.1", "root"))  # what the TTL does after the window
    assert throttle.acquire("10.0.0.1", "root").wait_seconds == 0


def test_address_counter_spans_usernames(client_redis, clock):
    throttle = LoginThrottle(client_redis, limit=100, window_seconds=60, address_limit=3)
    for name in ("a", "b", "c"):
        assert throttle.acquire("2001:db8::1", name).wait_seconds == 0
    assert throttle.acquire("2001:db8::2", "d").wait_seconds == 5  # the same /64
    assert throttle.acquire("2001:db9::1", "d").wait_seconds == 0


def test_success_gives_the_slot_back(client_redis, clock):
    throttle = LoginThrottle(client_redis, limit=2, window_seconds=60, address_limit=2)
    for _ in range(5):
        assert throttle.acquire("10.0.0.1", "root").wait_seconds == 0
        throttle.succeeded("10.0.0.1", "root")


@pytest.mark.parametrize("address, key", [("10.1.2.3", "10.1.2.3"), ("::ffff:10.1.2.3", "10.1.2.3"),
                                          ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), ("junk\n", "junk\n")])
def test_address_key(address, key):
    assert address_key(address) == key


def test_parallel_guesses_are_evaluated_at_most_the_limit(app, admin, hash_checks):
    """30 guesses at once: the check and the count are one step, so only LOGIN_RATE_LIMIT reach the hash."""
    limit = app.config["LOGIN_RATE_LIMIT"]
    clients = [app.test_client() for _ in range(30)]
    tokens = [csrf_token_from(client) for client in clients]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client, token, n):
        start.wait()
        response = client.post("/login", data={"username": "root", "password": f"guess {n}", "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(client, token, n))
               for n, (client, token) in enumerate(zip(clients, tokens, strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(statuses) == 30
    assert sorted(statuses) == [401] * limit + [429] * (30 - limit)
    assert len(hash_checks) == limit
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.1"  # the real admin, elsewhere
    assert log_in(other).status_code == 302


def test_unknown_username_costs_a_password_hash(client, admin, hash_checks):
    assert log_in(client, username="nobody", password="guess").status_code == 401
    assert hash_checks == ["guess"]


def test_password_change_is_throttled_like_sign_in(app, logged_in, hash_checks):
    headers = {"X-CSRFToken": csrf_token_from(logged_in, "/")}
    limit = app.config["LOGIN_RATE_LIMIT"]
    for n in range(limit):
        response = logged_in.post("/api/me/password", json={"current": f"guess {n}", "new": "x" * 12},
                                  headers=headers)
        assert response.status_code == 403
    hash_checks.clear()
    response = logged_in.post("/api/me/password", json={"current": ADMIN_PASSWORD, "new": "x" * 12}, headers=headers)
    assert response.status_code == 429 and response.is_json
    assert int(response.headers["Retry-After"]) >= 1
    assert hash_checks == []  # refused before the hash
    assert log_in(app.test_client()).status_code == 429  # the same counters as the sign-in (same address)


def test_behind_a_trusted_proxy_the_client_address_counts(app_config, tmp_path):
    from app import create_app

    app = create_app({**app_config, "TRUSTED_PROXIES": 1}, instance_path=str(tmp_path / "proxied"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        from extensions import db
        from models.admin import AdminUser

        admin = AdminUser(username="root")
        admin.set_password(ADMIN_PASSWORD)
        db.session.add(admin)
        db.session.commit()
        attacker = app.test_client()
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
        for _ in range(app.config["LOGIN_RATE_LIMIT"]):
            log_in(attacker, password="guess")
        assert log_in(attacker).status_code == 429
        admin_browser = app.test_client()
        admin_browser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.20"  # same proxy, another client
        assert log_in(admin_browser).status_code == 302
        db.session.remove()
        db.engine.dispose()
