"""The dashboard tells the truth about the login (issue 21), on a live stack: real worker and beat processes, the
sandbox, unmodified wxpy/itchat.

For each path (watchdog relaunch after the listener is killed, remote logout, refresh before scanning, worker
restart with hot reload, refresh after scanning but before confirming) the module samples, from
the event until AFTER seconds after the path's own steps are done (a scan, a confirmation, a worker booting), the
sandbox's session and the dashboard's login state, from /api/status and from the SSE `login` events. Once the steps
are done, they must agree within SETTLE seconds and then up to the end of the window, allowing only mismatches
shorter than TOLERANCE (a QR code expiring is seen by the sandbox a moment before the listener reports the next one).
The sandbox's QR codes expire after QR_TTL seconds and AFTER spans more than two of them, so a replaced listener's
QR loop, if it survived, writes its stale "waiting" inside the window however long the steps took.

The paths share one stack (module fixture) and run one after the other; a path's next steps start only after the
previous window ended. About (steps + AFTER) × 5 + 30 s in all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest

from tests.fixtures.processes import ROOT, wait_for
from tests.runtime.conftest import Stack, build_stack

pytestmark = pytest.mark.integration

QR_TTL = 12.0
AFTER = 2.5 * QR_TTL  # sampled this long after the steps: two QR lifetimes and a half
SETTLE = 20.0  # agreement within this long after the steps
LONGEST = 120.0  # steps that take longer than this fail the path
TOLERANCE = 3.0
SAMPLE_EVERY = 0.5


class LoginEvents:
    """The latest SSE `login` event, read on a thread from /stream for the whole module."""

    def __init__(self, stack: Stack) -> None:
        self.latest: dict | None = None
        self.response = stack.client().get("/stream?events=login", headers=stack.headers, buffered=False)
        assert self.response.status_code == 200
        self.thread = threading.Thread(target=self._read, name="sse-login", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event = None
        for chunk in self.response.response:
            for row in (chunk.decode() if isinstance(chunk, bytes) else chunk).splitlines():
                if row.startswith("event: "):
                    event = row[7:]
                elif row.startswith("data: ") and event == "login":
                    self.latest = json.loads(row[6:])

    def close(self) -> None:
        try:
            self.response.close()
        except ValueError:  # the reading thread is inside the generator; it is a daemon and ends with the run
            pass


@dataclass
class Sample:
    at: float
    expected: tuple
    api: tuple
    sse: tuple

    @property
    def ok(self) -> bool:
        return self.api == self.expected and self.sse == self.expected


def expected_state(sandbox_state: dict) -> tuple:
    """What the dashboard must say, from the sandbox: logged in (as whom) while a web session is live, else the QR
    code the phone would scan (its state and uuid); anything else is a transition."""
    session = sandbox_state.get("session")
    if session is not None and session.get("initialized"):
        return ("logged_in", sandbox_state["account"]["nick_name"])
    if sandbox_state["login"] in ("waiting", "scanned"):
        return (sandbox_state["login"], sandbox_state["uuid"])
    return ("transition", sandbox_state["login"])


def api_state(status: dict, sandbox_uuid: str | None) -> tuple:
    login = status["login"]
    if login["state"] == "logged_in":
        return ("logged_in", (status.get("account") or {}).get("nick_name"))
    if login["state"] in ("waiting", "scanned"):
        return (login["state"], sandbox_uuid)  # /api/status keeps the uuid to itself; the SSE event checks it
    return (login["state"], None)


def sse_state(event: dict | None) -> tuple:
    if event is None:
        return ("none", None)
    if event["state"] == "logged_in":
        return ("logged_in", event.get("nick_name"))
    if event["state"] in ("waiting", "scanned"):
        return (event["state"], event.get("uuid"))
    return (event["state"], None)


@dataclass
class Window:
    """Samples the sandbox and the dashboard on a thread from the event until AFTER seconds after the steps."""

    stack: Stack
    events: LoginEvents
    name: str
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    steps_done: float = 0.0  # seconds into the window when the path's own steps (scan, confirm, boot) were done

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._sample, name=f"window-{self.name}", daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self._over(time.monotonic() - self.started):
            try:
                sandbox = self.stack.sandbox.state()
                status = self.stack.status()
            except Exception:  # noqa: BLE001  (a sample lost to a busy machine is no verdict)
                time.sleep(SAMPLE_EVERY)
                continue
            expected = expected_state(sandbox)
            self.samples.append(Sample(time.monotonic() - self.started, expected,
                                       api_state(status, sandbox.get("uuid")), sse_state(self.events.latest)))
            time.sleep(SAMPLE_EVERY)

    def _over(self, at: float) -> bool:
        return at >= LONGEST + AFTER or (self.steps_done > 0 and at >= self.steps_done + AFTER)

    def steps_are_done(self) -> None:
        self.steps_done = time.monotonic() - self.started

    def verdict(self) -> None:
        """Wait for the window to end, then: agreement within SETTLE s of the path's steps being done, from then on
        no mismatch longer than TOLERANCE s, and agreement at the end."""
        if not self.steps_done:
            self.steps_are_done()
        self.thread.join(LONGEST + AFTER + 30)
        samples = self.samples
        assert self.steps_done < LONGEST, f"{self.name}: the steps took {self.steps_done:.0f}s"
        assert samples and samples[-1].at > self.steps_done + AFTER - 5, (
            f"{self.name}: too few samples ({len(samples)})")
        first = next((s for s in samples if s.ok and s.at >= self.steps_done), None)
        assert first is not None and first.at <= self.steps_done + SETTLE, (
            f"{self.name}: no agreement within {SETTLE}s of the steps: {samples[-5:]}\n{self.stack.logs()}")
        since, longest = None, 0.0
        for sample in samples[samples.index(first):]:
            if sample.ok:
                since = None
                continue
            since = sample.at if since is None else since
            longest = max(longest, sample.at - since)
            assert sample.at - since <= TOLERANCE, (
                f"{self.name}: at {sample.at:.1f}s the dashboard had disagreed with the sandbox for "
                f"{sample.at - since:.1f}s: expected {sample.expected}, API {sample.api}, SSE {sample.sse}")
        assert samples[-1].ok, f"{self.name}: disagreement at the end of the window: {samples[-1]}"
        label = self.name.replace(" ", "_")
        checked = samples[samples.index(first):]
        print(f"FIGURE login_truth_{label}_steps_seconds={self.steps_done:.1f}")
        print(f"FIGURE login_truth_{label}_agreed_after_steps_seconds={first.at - self.steps_done:.1f}")
        print(f"FIGURE login_truth_{label}_samples_agreeing={sum(s.ok for s in checked)}/{len(checked)}")
        print(f"FIGURE login_truth_{label}_longest_disagreement_seconds={longest:.1f}")


def start_beat(stack: Stack) -> subprocess.Popen:
    """`celery beat` (the watchdog's schedule) as a real process, sharing the stack's environment."""
    log = open(stack.folder / "beat.log", "ab")  # noqa: SIM115  (the child owns it)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wechat", "beat", "--loglevel", "INFO",
         "--schedule", str(stack.folder / "celerybeat-schedule")],
        cwd=ROOT, env={**os.environ, **stack.env, "WATCHDOG_INTERVAL": "1"}, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


@pytest.fixture(scope="module")
def live(sandbox_server, migrated_db, redis_server, tmp_path_factory):
    sandbox_server.reset(friends=5, groups=1, members=5, mps=0, settings={"qr_ttl": QR_TTL})
    stack = build_stack(sandbox_server, migrated_db, redis_server, tmp_path_factory.mktemp("login-truth"))
    events = LoginEvents(stack)  # before the worker: every login event is seen
    beat = start_beat(stack)
    stack.start_worker()
    stack.wait_state("waiting", timeout=60)
    try:
        yield stack, events
    finally:
        events.close()
        beat.terminate()
        beat.wait(10)
        stack.shutdown()
        sandbox_server.reset()  # the sandbox's default QR lifetime again for the tests after this module


def sandbox_uuid_shown(stack: Stack, events: LoginEvents) -> str:
    """Wait until the dashboard shows the QR code the sandbox is waiting on; return its uuid."""
    def shown():
        pending = stack.sandbox.state().get("uuid")
        latest = events.latest or {}
        return pending if pending and latest.get("state") == "waiting" and latest.get("uuid") == pending \
            and stack.login_state() == "waiting" else None

    return wait_for(shown, 40, interval=0.2, what="the dashboard showing the sandbox's QR code")


def scan_and_confirm(stack: Stack, events: LoginEvents) -> None:
    sandbox_uuid_shown(stack, events)
    stack.sandbox.scan(confirm=True)
    stack.wait_state("logged_in", timeout=40)


def test_watchdog_relaunch_after_the_listener_is_killed(live):
    stack, events = live
    sandbox_uuid_shown(stack, events)
    old = stack.status()["listener"]
    window = Window(stack, events, "killed listener")
    stack.app.extensions["celery"].control.revoke(old["task_id"], terminate=True)
    wait_for(lambda: stack.status()["listener"]["task_id"] != old["task_id"], 40, interval=0.2,
             what="the watchdog's new listener")
    scan_and_confirm(stack, events)
    window.steps_are_done()
    window.verdict()
    assert stack.status()["listener"]["starts"] == old["starts"] + 1


def test_remote_logout(live):
    stack, events = live
    stack.wait_state("logged_in")
    window = Window(stack, events, "remote logout")
    stack.sandbox.control("logout", {})
    sandbox_uuid_shown(stack, events)
    window.steps_are_done()
    window.verdict()  # the rest of the window waits for a scan: QR codes expire and are replaced every QR_TTL s


def test_refresh_before_scanning(live):
    stack, events = live
    first = sandbox_uuid_shown(stack, events)
    task_id = stack.status()["listener"]["task_id"]
    window = Window(stack, events, "refresh before scanning")
    assert stack.api("POST", "/api/wechat/login").status_code == 202
    wait_for(lambda: stack.sandbox.state().get("uuid") not in (first, None), 20, interval=0.2, what="a new QR code")
    scan_and_confirm(stack, events)
    window.steps_are_done()
    window.verdict()
    assert stack.status()["listener"]["task_id"] == task_id  # replaced in the same listener


def test_worker_restart_with_hot_reload(live):
    stack, events = live
    stack.wait_state("logged_in")
    window = Window(stack, events, "worker restart")
    running = [worker for worker in stack.workers if worker.process.poll() is None]
    for worker in running:
        assert worker.stop(signal.SIGTERM, timeout=20) == 0
    stack.start_worker()
    stack.wait_state("logged_in", timeout=60)
    window.steps_are_done()
    window.verdict()
    assert stack.sandbox.state()["login"] == "confirmed"  # no scan was needed


def test_refresh_after_scanning_before_confirming(live):
    stack, events = live
    stack.wait_state("logged_in")
    assert stack.api("POST", "/api/wechat/logout").status_code == 202
    first = sandbox_uuid_shown(stack, events)
    stack.sandbox.scan(confirm=False)
    stack.wait_state("scanned", timeout=20)
    window = Window(stack, events, "refresh after scanning")
    assert stack.api("POST", "/api/wechat/login").status_code == 202
    wait_for(lambda: stack.sandbox.state().get("uuid") not in (first, None), 20, interval=0.2, what="a new QR code")
    scan_and_confirm(stack, events)
    window.steps_are_done()
    window.verdict()
    # Listeners ended and started in the same worker all along: the bot queue was never left half-cancelled
    # (every bot task bounced back, "Requeuing undeliverable message ... No consumers", several times a second).
    assert not any("No consumers" in worker.log() for worker in stack.workers), stack.logs()
