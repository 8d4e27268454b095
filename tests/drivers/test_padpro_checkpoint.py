"""The padpro driver's delivery checkpoint against the sandbox's gateway face: what a driver read but the product
never acknowledged is read again by the next driver; what it acknowledged is not."""

from __future__ import annotations

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
