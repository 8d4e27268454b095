"""One writer at a time: lease generations, the fenced-write Lua script and the derived login state, against a real
Redis (tests/fixtures/processes.py)."""

from __future__ import annotations

import json

import pytest

from libs.events import STREAM_KEY
from wechat.bot.fence import FencedWrite
from wechat.bot.lease import Lease
from wechat.bot.state import BotState, derive_login


@pytest.fixture
def client(redis_server):
    client = redis_server.client()
    client.flushall()
    yield client
    client.flushall()


def login_events(client) -> list[dict]:
    return [json.loads(fields[b"data"]) for _, fields in client.xrange(STREAM_KEY)
            if fields[b"event"] == b"login"]


def test_each_acquire_hands_out_a_larger_generation(client):
    lease = Lease(client, "wx:t:lease", 5, fenced=True)
    first = lease.acquire("a")
    assert first > 0 and lease.generation() == first
    assert lease.acquire("b") == 0 and lease.generation() == first  # held: no new generation
    assert lease.release("a")
    second = lease.acquire("b")
    assert second > first and lease.holder() == "b"


def test_generations_stay_larger_after_redis_lost_its_data(client):
    lease = Lease(client, "wx:t:lease", 5, fenced=True)
    old = lease.acquire("a")
    client.flushall()  # Redis restarted empty: the counter is gone, the clock is not
    new = lease.acquire("b")
    assert new > old
    assert not FencedWrite(client, "wx:t:lease", old).set("wx:t:x", "stale").commit()


def test_unfenced_lease_keeps_no_generation_key(client):
    lease = Lease(client, "wx:t:job:1", 5)
    assert lease.acquire("a") == 1 and lease.acquire("b") == 0
    assert client.exists("wx:t:job:1:generation") == 0


def test_fenced_write_applies_for_the_newest_generation_only_and_atomically(client):
    lease = Lease(client, "wx:t:lease", 5, fenced=True)
    old = lease.acquire("a")
    lease.release("a")
    new = lease.acquire("b")
    stale = FencedWrite(client, "wx:t:lease", old).hset("wx:t:login", {"state": "waiting"})
    assert not stale.set("wx:t:qr", b"\x89PNG old").event("login", {"state": "waiting"}).commit()
    assert client.exists("wx:t:login", "wx:t:qr") == 0 and login_events(client) == []  # nothing, not even the event
    current = FencedWrite(client, "wx:t:lease", new).hset("wx:t:login", {"state": "logged_in", "n": 1})
    assert current.set("wx:t:qr", b"\x00\xff binary", ex=60).event("login", {"state": "logged_in"}).commit()
    assert client.hgetall("wx:t:login") == {b"state": b"logged_in", b"n": b"1"}
    assert client.get("wx:t:qr") == b"\x00\xff binary" and 0 < client.ttl("wx:t:qr") <= 60
    assert login_events(client) == [{"state": "logged_in"}]


def test_a_write_needs_a_generation_that_exists(client):
    assert not FencedWrite(client, "wx:t:lease", 12345).set("wx:t:x", "1").commit()  # no lease ever taken


def test_watchdog_variant_applies_only_while_the_lease_is_free(client):
    lease = Lease(client, "wx:t:lease", 5, fenced=True)
    lease.acquire("a")
    assert not FencedWrite(client, "wx:t:lease", None).set("wx:t:x", "free").commit()
    lease.release("a")
    assert FencedWrite(client, "wx:t:lease", None).set("wx:t:x", "free").commit()
    assert client.get("wx:t:x") == b"free"


def test_a_replaced_listener_cannot_overwrite_its_successor(client):
    old = BotState(client, "t")
    assert old.acquire("task-1", 5)
    assert old.set_login("waiting", uuid="qr-1", qrcode=b"png-1")
    client.delete(old.key("lease"))  # its lease expired (a stall); a new listener takes over
    new = BotState(client, "t")
    assert new.acquire("task-2", 5)
    assert new.set_login("logged_in", nick_name="bot", puid="p1")
    assert not old.set_login("waiting", uuid="qr-2", qrcode=b"png-2")  # the stale QR loop's write
    assert not old.heartbeat("task-1") and not old.listener_started("task-1", "host")
    assert not old.release("task-1", "stop_requested")
    reader = BotState(client, "t")
    assert reader.login()["state"] == "logged_in" and reader.login()["nick_name"] == "bot"
    assert reader.lease_holder() == "task-2" and reader.qrcode() is None
    assert [event["state"] for event in login_events(client)] == ["waiting", "logged_in"]


def test_login_reads_no_listener_when_nobody_holds_the_lease(client):
    state = BotState(client, "t")
    assert state.login()["state"] == "no_listener"  # nothing ever written
    state.acquire("task-1", 5)
    state.set_login("logged_in", nick_name="bot")
    assert state.is_logged_in()
    client.delete(state.key("lease"))  # the worker was killed: its lease expired, its last words remain
    assert state.login()["state"] == "no_listener" and not state.is_logged_in()
    assert state.recorded_login()["state"] == "logged_in"
    assert BotState(client, "t").no_listener("the listener died")  # the watchdog says so, once the lease is free
    assert state.recorded_login()["state"] == "no_listener" and login_events(client)[-1]["state"] == "no_listener"


def test_release_gives_the_lease_up_and_says_no_listener_in_one_step(client):
    state = BotState(client, "t")
    state.acquire("task-1", 5)
    state.set_login("waiting", uuid="u", qrcode=b"png")
    assert state.release("task-1", "stop_requested", message="replaced")
    assert state.lease_holder() is None and state.qrcode() is None
    assert state.login() == {"state": "no_listener", "message": "replaced", "updated_at": pytest.approx(
        state.login()["updated_at"])}
    assert state.listener()["status"] == "stop_requested"


def test_refused_login_stays_visible_while_paused(client):
    state = BotState(client, "t")
    state.acquire("task-1", 5)
    state.set_paused("refused")
    state.set_login("refused", message="1203")
    state.release("task-1", "refused", keep_login=True)
    assert state.login()["state"] == "refused"
    state.set_paused(None)  # the operator retries: until a listener runs, there is none
    assert state.login()["state"] == "no_listener"


@pytest.mark.parametrize(("record", "held", "generation", "paused", "expected"), [
    ({"state": "logged_in", "generation": "7"}, True, "7", None, "logged_in"),
    ({"state": "logged_in", "generation": "6"}, True, "7", None, "starting"),  # the new holder said nothing yet
    ({"state": "logged_in", "generation": "7"}, False, "7", None, "no_listener"),
    ({"state": "refused", "generation": "7"}, False, "7", "refused", "refused"),
    ({"state": "refused", "generation": "7"}, False, "7", None, "no_listener"),
    ({}, False, None, None, "no_listener"),
])
def test_derive_login(record, held, generation, paused, expected):
    assert derive_login(record, held, generation, paused)["state"] == expected
