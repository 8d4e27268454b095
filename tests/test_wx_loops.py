"""drivers/itchat/loops.py: a stopped gate ends a core's long polls at once; a QR refresh ends only the QR poll, as an
expired code (itchat's own loop then fetches a new one)."""

from __future__ import annotations

import threading
import time

import pytest

from drivers.itchat.loops import LoopGate, LoopStopped


class FakeCore:
    """The parts of an itchat core the gate wraps: `s.request`, `check_login()`, `start_receiving()`."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        self.s = type("Session", (), {})()
        self.s.request = self._request

    def _request(self, method, url, **kwargs):
        self.requests += 1
        self.release.wait(10)  # a long poll: answers only when released
        return f"{method} {url}"

    def check_login(self, uuid=None):
        return "408" if self.s.request("GET", "/login") else "400"

    def start_receiving(self, exitCallback=None, getReceivingFnOnly=False):  # noqa: N803
        def loop():  # itchat's loop catches every error and checks `alive`; ending on the first is the same here
            try:
                while self.s.request("GET", "/synccheck"):
                    pass
            except LoopStopped:
                return

        return loop


def in_thread(target):
    result: dict = {}

    def run():
        try:
            result["value"] = target()
        except BaseException as exc:  # noqa: BLE001
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_requests_pass_through_until_stopped():
    core, gate = FakeCore(), LoopGate()
    gate.attach(core)
    core.release.set()
    assert core.s.request("GET", "/x") == "GET /x"
    gate.stop()
    with pytest.raises(LoopStopped):
        core.s.request("GET", "/x")
    assert core.requests == 1  # refused before reaching WeChat


def test_stop_ends_a_pending_long_poll_at_once():
    core, gate = FakeCore(), LoopGate()
    gate.attach(core)
    thread, result = in_thread(core.check_login)
    time.sleep(0.1)
    started = time.monotonic()
    gate.stop()
    thread.join(2)
    assert time.monotonic() - started < 1 and isinstance(result.get("error"), LoopStopped)


def test_refresh_ends_the_qr_poll_as_expired_and_leaves_other_requests():
    core, gate = FakeCore(), LoopGate()
    gate.attach(core)
    other, other_result = in_thread(lambda: core.s.request("POST", "/other"))
    poll, poll_result = in_thread(core.check_login)
    time.sleep(0.1)
    gate.refresh_qr()
    poll.join(2)
    assert poll_result == {"value": "400"}
    assert other.is_alive()  # not a QR poll: untouched
    core.release.set()
    other.join(2)
    assert other_result == {"value": "POST /other"}


def test_refresh_between_polls_applies_to_the_next_one():
    core, gate = FakeCore(), LoopGate()
    gate.attach(core)
    gate.refresh_qr()
    assert core.check_login() == "400" and core.requests == 0
    core.release.set()
    assert core.check_login() == "408"  # only once


def test_the_receive_loop_runs_on_a_thread_the_gate_waits_for():
    core, gate = FakeCore(), LoopGate()
    gate.attach(core)
    core.start_receiving()
    assert len(gate.threads) == 1 and gate.threads[0].is_alive()
    assert not gate.join(0.1)
    gate.stop()  # the loop's pending synccheck fails, and so the loop ends
    assert gate.join(2)
