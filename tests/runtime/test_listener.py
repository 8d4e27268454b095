"""The listener in real worker processes against the sandbox with unmodified wxpy: QR login, restarts, logout."""

import signal
import time

import pytest

from tests.fixtures.processes import wait_for
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("driver", DRIVERS)
def test_worker_start_shows_qr_then_scan_logs_in(stack):
    stack.start_worker()
    status = stack.wait_state("waiting")
    assert status["listener"]["healthy"], stack.logs()
    qr = stack.api("GET", "/api/wechat/qrcode.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png" and qr.data.startswith(b"\x89PNG")
    stack.sandbox.scan(confirm=True)
    status = stack.wait_state("logged_in")
    account = stack.sandbox.state()["account"]
    assert status["account"]["nick_name"] == account["nick_name"]
    assert stack.api("GET", "/api/wechat/qrcode.png").status_code == 404  # no QR once logged in


def test_sigkill_then_restart_resumes_without_scan_and_one_listener(stack):
    first = stack.start_worker()
    old_task = stack.log_in()["listener"]["task_id"]
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    # Two workers come up: both send a listener, exactly one gets the lease; no scan is needed.
    stack.start_worker()
    stack.start_worker()
    status = wait_for(lambda: (s := stack.status())["login"]["state"] == "logged_in"
                      and s["listener"]["task_id"] != old_task and s["listener"]["healthy"] and s, 40,
                      what="login resumed from the saved session by a new listener")
    assert status["listener"]["starts"] == 2
    assert stack.sandbox.state()["login"] == "confirmed"  # the phone was never asked to scan again
    time.sleep(3)  # longer than a lease TTL: a second listener would have shown up by now
    lease_holder = stack.app.extensions["redis"].get("wx:default:lease").decode()
    assert lease_holder == stack.status()["listener"]["task_id"]
    consuming = [w for w in stack.workers[1:] if "Started consuming from wechat.default" in w.log()]
    assert len(consuming) == 1, stack.logs()  # only the lease holder takes bot commands


@pytest.mark.parametrize("driver", DRIVERS)
def test_remote_logout_restarts_listener_with_fresh_qr(stack):
    stack.start_worker()
    first_uuid = stack.log_in() and stack.sandbox.state().get("uuid")
    stack.sandbox.control("logout", {})
    started = time.monotonic()
    stack.wait_state("waiting", timeout=10)
    assert time.monotonic() - started < 10
    assert stack.api("GET", "/api/wechat/qrcode.png").status_code == 200
    assert stack.sandbox.state().get("uuid") != first_uuid or first_uuid is None


@pytest.mark.parametrize("driver", DRIVERS)
def test_dashboard_logout_forgets_the_session(stack):
    stack.start_worker()
    stack.log_in()
    response = stack.api("POST", "/api/wechat/logout")
    assert response.status_code == 202
    stack.wait_state("waiting", timeout=15)
    assert not (stack.folder / "instance" / "wechat" / "default" / "itchat.pkl").exists()


@pytest.mark.parametrize("driver", DRIVERS)
def test_sigterm_ends_listener_promptly_and_keeps_session(stack, driver):
    worker = stack.start_worker()
    stack.log_in()
    started = time.monotonic()
    assert worker.stop(signal.SIGTERM, timeout=20) == 0, worker.log()
    assert time.monotonic() - started < 15
    if driver == "itchat":  # the padpro session stays with the gateway, not in a file of ours
        assert (stack.folder / "instance" / "wechat" / "default" / "itchat.pkl").exists()
    stack.start_worker()
    stack.wait_state("logged_in", timeout=40)  # hot reload: no scan


def test_commands_fail_fast_when_not_logged_in(stack):
    started = time.monotonic()
    response = stack.api("POST", "/api/wechat/groups", json={"members": ["a", "b"], "topic": "x"})
    assert response.status_code == 503
    assert response.json["code"] == "not_logged_in"
    assert time.monotonic() - started < 5


def test_web_login_refused_is_explained_and_uos_mode_logs_in(stack):
    stack.sandbox.reset(account={"nick_name": "受限账号", "web_login_refused": True})
    worker = stack.start_worker(WECHAT_LOGIN_MODE="web")
    stack.wait_state("waiting")
    stack.sandbox.scan(confirm=True)
    status = stack.wait_state("refused")
    assert "1203" in status["login"]["message"] and "uos" in status["login"]["message"]
    assert status["paused"] == "refused"  # the watchdog leaves it alone until the operator acts
    worker.stop()
    stack.start_worker(WECHAT_LOGIN_MODE="uos")
    assert stack.api("POST", "/api/wechat/login").status_code == 202  # the operator retries
    stack.log_in()
    assert stack.status()["account"]["nick_name"] == "受限账号"
    assert stack.status()["paused"] is None


def test_a_session_ended_by_1102_right_after_the_scan_is_a_refusal(stack):
    """CowAgent issue 2518: the scan "succeeds", then the first synccheck answers 1102. Before: a logout and a new
    QR code in a loop; now the dashboard's refused state, with the explanation."""
    stack.sandbox.reset(account={"nick_name": "受限账号", "web_login_refused": True}, settings={"refusal": "1102"})
    stack.start_worker(WECHAT_LOGIN_MODE="web")
    stack.wait_state("waiting")
    stack.sandbox.scan(confirm=True)
    status = stack.wait_state("refused")
    assert "1102" in status["login"]["message"] and status["paused"] == "refused"


def test_selector_7_at_once_leaves_the_listener_idle(stack):
    """WeChatBotEngine issue 2: synccheck answering selector 7 at once with nothing to fetch, on every poll. itchat's
    loop has no pause of its own; before, the listener spun on it (a core's worth of CPU, thousands of requests)."""
    import psutil

    stack.sandbox.reset(friends=3, groups=1, members=3, mps=0, settings={"selector_7": "always"})
    worker = stack.start_worker()
    stack.log_in()
    time.sleep(3)  # the login's own work (contact sync) is over
    process = psutil.Process(worker.process.pid)
    before = sum(process.cpu_times()[:2])
    time.sleep(5)
    spent = sum(process.cpu_times()[:2]) - before
    assert spent < 0.5, f"the listener used {spent:.2f} s of CPU in 5 s on a quiet account"
    assert stack.status()["login"]["state"] == "logged_in"


def test_login_events_reach_the_event_stream(stack):
    """The QR flow's states arrive as SSE `login` events on /stream (replayed from the first event id)."""
    import json

    stack.start_worker()
    stack.log_in()
    response = stack.client().get("/stream?events=login&last_event_id=0-0", headers=stack.headers, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    states, event = [], None
    for chunk in response.response:
        for row in (chunk.decode() if isinstance(chunk, bytes) else chunk).splitlines():
            if row.startswith("event: "):
                event = row[7:]
            elif row.startswith("data: ") and event == "login":
                states.append(json.loads(row[6:])["state"])
        if "logged_in" in states:
            break
    response.close()
    assert states[0] == "starting" and "waiting" in states and states[-1] == "logged_in", states


def test_handover_in_the_same_worker_keeps_bot_commands_working(stack):
    """A new listener that takes over in the worker the old one ran in consumes the bot queue. Before, the old
    listener's cancel (deferred by kombu until the consumer's read ended) removed the new consumer's callback:
    bot commands timed out and the log filled with "Requeuing undeliverable message ... No consumers"."""
    from wechat import control

    stack.start_worker()
    stack.log_in()
    for _ in range(2):  # a second launch while one runs: it waits for the lease, then takes over (hot reload)
        old = stack.status()["listener"]["task_id"]
        control.launch_listener(stack.app, replace=True)
        wait_for(lambda old=old: (s := stack.status())["listener"]["task_id"] != old
                 and s["login"]["state"] == "logged_in", 30, interval=0.2, what="the new listener logged in")
    chats = stack.api("GET", "/api/wechat/chats?kind=friends")
    assert chats.status_code == 200 and chats.json["friends"], chats.json
    time.sleep(2)
    assert not any("No consumers" in worker.log() for worker in stack.workers), stack.logs()


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that keeps what was POSTed to it."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_session_that_ends_by_itself_is_reported_and_a_fresh_qr_is_ready(stack):
    # Real web sessions end after a day or three with synccheck retcode 1100 (the sandbox: settings.session_lifetime);
    # a gateway login is dropped too (the gateway face closes the WebSocket and answers "你已退出微信").
    hook = WebhookReceiver()
    try:
        stack.start_worker(SESSION_END_WEBHOOK_URL=hook.url, OUTBOUND_ALLOW_HOSTS="127.0.0.1")
        stack.log_in()
        stack.sandbox.control("sessions/age", {"seconds": 3 * 86400})
        status = stack.wait_state("waiting", timeout=15)
        assert stack.api("GET", "/api/wechat/qrcode.png").status_code == 200
        assert "WeChat ended the session" in status["session_end"]["message"], status
        notified = wait_for(lambda: hook.received, 15, what="the session-end webhook")
        assert notified[0]["event"] == "wechat.session_ended" and "ended the session" in notified[0]["message"]
        stack.sandbox.scan(confirm=True)
        assert stack.wait_state("logged_in")["session_end"] is None  # answered by the new login
    finally:
        hook.server.shutdown()
