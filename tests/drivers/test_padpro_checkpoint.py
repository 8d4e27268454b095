"""The padpro driver's delivery checkpoint against the sandbox's gateway face: what a driver read but the product
never acknowledged is read again by the next driver; what it acknowledged is not."""

from __future__ import annotations

import json

from drivers.padpro import GatewayClient, PadProDriver
from drivers.types import LoginState, MessageEvent
from tests.drivers.conftest import GATEWAY_KEY


def texts(driver: PadProDriver, want: int, polls: int = 12) -> list[str]:
    found: list[str] = []
    for _ in range(polls):
        found += [e.text for e in driver.poll_events(0.3) if isinstance(e, MessageEvent)]
        if len(found) >= want:
            break
    return found


def second_driver(sandbox) -> PadProDriver:
    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=10), http_sync_interval=3600)
    assert driver.login_state() is LoginState.LOGGED_IN  # the gateway kept the session: a takeover, no QR
    return driver


def test_what_was_read_but_not_acknowledged_is_read_again(sandbox, padpro):
    friend = sandbox.world()["friends"][0]["nick_name"]
    sandbox.control("messages", {"from": friend, "content": "stored {n}", "count": 3})
    assert texts(padpro, 3) == ["stored 1", "stored 2", "stored 3"]
    checkpoint = padpro.acknowledge()
    assert checkpoint and padpro.acknowledge() is None  # nothing new handed out: the checkpoint did not move

    sandbox.control("messages", {"from": friend, "content": "read {n}", "count": 3})
    assert texts(padpro, 3) == ["read 1", "read 2", "read 3"]  # pushed over the WebSocket once, never stored
    padpro.close()  # the worker dies here (the gateway will not push them again)

    taker = second_driver(sandbox)
    try:
        taker.resume_from(checkpoint)
        assert texts(taker, 3) == ["read 1", "read 2", "read 3"]
        sandbox.control("messages", {"from": friend, "content": "new"})
        assert texts(taker, 1) == ["new"]  # and the live push goes on, each message once
    finally:
        taker.close()


def test_without_a_checkpoint_a_takeover_does_not_replay_the_session(sandbox, padpro):
    friend = sandbox.world()["friends"][0]["nick_name"]
    sandbox.control("messages", {"from": friend, "content": "old {n}", "count": 2})
    assert texts(padpro, 2) == ["old 1", "old 2"]
    padpro.close()
    taker = second_driver(sandbox)
    try:
        taker.resume_from(None)  # a product that never kept one (first start on a running gateway)
        sandbox.control("messages", {"from": friend, "content": "later"})
        assert texts(taker, 1) == ["later"]
        assert taker.acknowledge()
    finally:
        taker.close()


class FakeGateway:
    """The gateway's HTTP edge only: scripted keyed-sync answers, nothing on the WebSocket."""

    connect_timeout = 1.0

    def __init__(self, keyed) -> None:
        self.keyed = list(keyed)
        self.calls: list[str] = []

    def ws_url(self) -> str:
        return "ws://127.0.0.1:9/ws"

    def get(self, path, *args, **kwargs):
        return {"loginState": 1}

    def post(self, path, body=None, **kwargs):
        self.calls.append(path)
        if path == "/other/GetRedisSyncMsg":
            answer = self.keyed.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return {"AddMsgs": []}


def quiet_ws(url, timeout):
    from drivers.padpro.ws import WsError

    raise WsError("no WebSocket in this test")


def inbox(gateway: FakeGateway, clock, keyed_sync_interval: float = 0.0):
    from drivers.padpro.inbox import Inbox

    box = Inbox(gateway, http_sync_interval=3600, ws_connect=quiet_ws, clock=clock,
                keyed_sync_interval=keyed_sync_interval)
    box.logged_in_as("wxid_me")
    box._next_http_sync = float("inf")  # only the keyed sync under test
    return box


def message(n: int) -> dict:
    return {"new_msg_id": str(1000 + n), "from_user_name": {"str": "wxid_f"}, "to_user_name": {"str": "wxid_me"},
            "msg_type": 1, "content": {"str": f"m{n}"}}


def test_a_failed_keyed_sync_keeps_the_checkpoint_and_waits_before_trying_again():
    from drivers.types import Unavailable

    now = [0.0]
    gateway = FakeGateway([{"AddMsgs": [message(1)], "Key": "k1"}, Unavailable("down"),
                           {"AddMsgs": [message(1), message(2)], "Key": "k2"}])
    box = inbox(gateway, lambda: now[0])
    box.resume_from("k0")
    assert [e.text for e in box.poll(0)] == ["m1"] and box.acknowledge() == "k1"
    box._keyed_due = True
    assert box.poll(0) == [] and box.acknowledge() is None  # failed: the checkpoint stays k1
    assert box.poll(0) == [] and gateway.calls.count("/other/GetRedisSyncMsg") == 2  # not again within 30 s
    now[0] = 31.0
    assert [e.text for e in box.poll(0)] == ["m2"] and box.acknowledge() == "k2"  # m1 once only


def test_a_gateway_without_keyed_syncs_keeps_no_checkpoint():
    now = [0.0]
    gateway = FakeGateway([{"AddMsgs": []}])  # no Key: an older build
    box = inbox(gateway, lambda: now[0])
    box.resume_from("k0")
    assert box.poll(0) == [] and box.acknowledge() is None
    now[0] = 5.0
    box.poll(0)
    assert gateway.calls.count("/other/GetRedisSyncMsg") == 1


def test_keyed_syncs_are_spaced_and_the_checkpoint_catches_up():
    """A busy account polls many times a second: one keyed sync per interval, and the one after a quiet spell
    still covers what was handed out meanwhile (the checkpoint lags, it never skips)."""
    now = [0.0]
    gateway = FakeGateway([{"AddMsgs": [message(1)], "Key": "k1"}, {"AddMsgs": [message(2)], "Key": "k2"}])
    box = inbox(gateway, lambda: now[0], keyed_sync_interval=1.0)
    box.resume_from("k0")
    assert [e.text for e in box.poll(0)] == ["m1"] and box.acknowledge() == "k1"
    box._pending = box._frame_events(json.dumps(message(2)))  # m2 pushed over the WebSocket
    now[0] = 0.5
    assert [e.text for e in box.poll(0)] == ["m2"]  # from the WebSocket; no keyed sync within the interval
    assert box.acknowledge() is None and gateway.calls.count("/other/GetRedisSyncMsg") == 1
    now[0] = 1.2
    assert box.poll(0) == []  # nothing new to hand out, but a sync is due: m2 comes once only
    assert box.acknowledge() == "k2" and gateway.calls.count("/other/GetRedisSyncMsg") == 2
