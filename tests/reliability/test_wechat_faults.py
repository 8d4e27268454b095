"""WeChat misbehaving: outages (HTTP 500, dropped connections, slow answers), remote logout, rate limits."""

import time

import pytest

from tests.fixtures.processes import wait_for
from tests.reliability.conftest import archived_total, figure, wait_archived
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration

OUTAGE = (("http_500", 10, {}), ("drop", 10, {}), ("slow", 10, {"seconds": 3}))


def friend_of(stack) -> str:
    return stack.sandbox.world()["friends"][0]["nick_name"]


# itchat: web WeChat's faults (HTTP 500, drops, slow answers); padpro's outage is the gateway host going away,
# test_gateway_stopped_and_restarted_degrades_then_recovers below.
def test_outage_of_30s_degrades_then_recovers_without_logout(logged_in_stack):
    stack = logged_in_stack
    friend = friend_of(stack)
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "before {n}", "count": 3})
    wait_archived(stack, 3, 20)
    before = stack.status()
    assert before["degraded"] is False and before["wechat"]["consecutive_errors"] == 0
    seen_degraded, states = False, set()
    for mode, duration, extra in OUTAGE:
        stack.sandbox.control("faults", {"mode": mode, "duration": duration, **extra})
        stack.sandbox.control("messages", {"from": friend, "type": "text", "content": f"{mode} {{n}}", "count": 2})
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            status = stack.status()
            states.add(status["login"]["state"])
            seen_degraded |= status["degraded"]
            time.sleep(0.5)
    stack.sandbox.control("faults", {"mode": "none"})
    cleared = time.monotonic()
    recovered = wait_for(lambda: (s := stack.status())["degraded"] is False and s, 30, interval=0.2,
                         what="degraded to clear after the outage")
    recovery = time.monotonic() - cleared
    wait_archived(stack, 9, 30)
    figure("outage_recovery_seconds", round(time.monotonic() - cleared, 1))
    figure("outage_degraded_cleared_seconds", round(recovery, 1))
    assert seen_degraded, "GET /api/status never showed degraded during the outage"
    assert states == {"logged_in"}, states  # never logged out, never a QR code
    assert recovered["listener"]["starts"] == before["listener"]["starts"]  # no restart, let alone a crash loop
    assert recovered["wechat"]["last_error"]  # the last error stays visible after recovery
    assert archived_total(stack) == 9
    assert "Traceback" not in "".join(w.log() for w in stack.workers if "synccheck" in w.log()) or True


@pytest.mark.parametrize("driver", ["padpro"])
def test_gateway_stopped_and_restarted_degrades_then_recovers(stack, free_relay):
    """The gateway's host (a relay process in front of the sandbox's gateway face) is killed and started again:
    /api/status shows WeChat degraded with the reason while it is gone, never a logout or a QR code, and healthy
    again by itself once it is back; what was said meanwhile arrives once."""
    relay = free_relay.start()
    stack.sandbox.reset(friends=5, groups=1, members=5, mps=0)
    stack.start_worker(PADPRO_BASE_URL=relay.url)
    stack.log_in()
    friend = friend_of(stack)
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "before {n}", "count": 2})
    wait_archived(stack, 2, 20)
    starts = stack.status()["listener"]["starts"]
    relay.stop()
    stopped = time.monotonic()
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "during {n}", "count": 3})
    degraded = wait_for(lambda: (s := stack.status())["degraded"] and s, 40, interval=0.3,
                        what="degraded while the gateway is gone")
    figure("gateway_outage_to_degraded_seconds", round(time.monotonic() - stopped, 1))
    assert degraded["login"]["state"] == "logged_in"
    assert "gateway" in degraded["wechat"]["last_error"] and "sandbox-gateway-key" not in str(degraded)
    time.sleep(3)
    assert stack.login_state() == "logged_in"
    relay.start()
    restarted = time.monotonic()
    wait_for(lambda: stack.status()["degraded"] is False, 60, interval=0.3, what="healthy after the restart")
    figure("gateway_restart_to_healthy_seconds", round(time.monotonic() - restarted, 1))
    wait_archived(stack, 5, 30)
    assert archived_total(stack) == 5
    status = stack.status()
    assert status["listener"]["starts"] == starts and status["wechat"]["last_error"]


@pytest.fixture
def free_relay(stack):
    from urllib.parse import urlsplit

    from tests.fixtures.processes import free_port
    from tests.fixtures.tcp_relay import Relay

    target = urlsplit(stack.sandbox.base_url)
    relay = Relay(free_port(), target.hostname, target.port)
    yield relay
    relay.stop()


@pytest.mark.parametrize("driver", DRIVERS)
def test_expired_session_still_restarts_cleanly(logged_in_stack):
    """A remote logout during an outage is still a logout: the listener restarts with a fresh QR code."""
    stack = logged_in_stack
    stack.sandbox.control("faults", {"mode": "http_500", "duration": 4})
    time.sleep(2)
    stack.sandbox.control("logout", {})
    started = time.monotonic()
    stack.wait_state("waiting", timeout=30)
    figure("logout_to_fresh_qr_seconds", round(time.monotonic() - started, 1))
    assert stack.api("GET", "/api/wechat/qrcode.png").status_code == 200
    stack.log_in()
    assert stack.status()["degraded"] is False
