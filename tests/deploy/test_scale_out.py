"""Scale-out on one machine standing in for several: 2 gunicorn gevent web processes, 3 Celery workers and one
beat, on one Redis, one PostgreSQL database and one shared instance folder, against the sandbox.

Exactly one listener runs; bot commands and SSE events work through either web process; SIGKILL of the worker
holding the bot → the beat watchdog relaunches the listener in another worker, which resumes the saved WeChat
session (no scan) and receives what arrived meanwhile.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from extensions import db
from models import Message
from tests.fixtures.admins import admin_with_token
from tests.fixtures.databases import throwaway_database
from tests.fixtures.processes import ROOT, start_worker, wait_for
from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.test_stream import SseClient, WebServer

pytestmark = pytest.mark.integration
TAKEOVER_LIMIT = 60.0


class Cluster:
    def __init__(self, app, env: dict[str, str], folder: Path, token: str) -> None:
        self.app, self.env, self.folder = app, env, folder  # app: the test's view of the shared database
        self.headers = {"Authorization": f"Bearer {token}"}
        self.webs = [WebServer(env, folder / f"web{n}.log") for n in (1, 2)]
        self.workers = {f"worker{n}": start_worker(env, folder / f"worker{n}.log", "--hostname", f"worker{n}@%h")
                        for n in (1, 2, 3)}
        with open(folder / "beat.log", "ab") as log:
            self.beat = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wechat", "beat", "--loglevel", "INFO",
                 "--schedule", str(Path(env["INSTANCE_PATH"]) / "celerybeat-schedule")],
                cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)

    def get(self, web: int, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.webs[web].port}{path}", headers=self.headers, timeout=30)

    def status(self, web: int = 0) -> dict:
        return self.get(web, "/api/status").json()

    def metric(self, web: int, name: str) -> float:
        text = self.get(web, "/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name:
                    return sample.value
        return 0.0

    def archived(self, pattern: str) -> list[str]:
        with self.app.app_context():
            texts = db.session.scalars(db.select(Message.text).where(Message.text.like(pattern))).all()
            db.session.remove()
        return sorted(texts)

    def holder(self) -> str:
        return self.status()["listener"]["hostname"].split("@")[0]

    def consuming(self) -> list[str]:
        return [name for name, w in self.workers.items()
                if w.process.poll() is None and "Started consuming from wechat.default" in w.log()]

    def logs(self) -> str:
        names = [*(f"web{n}.log" for n in (1, 2)), *(f"{w}.log" for w in self.workers), "beat.log"]
        return "\n".join(f"--- {n}\n{(self.folder / n).read_text(errors='replace')[-4000:]}" for n in names)

    def stop(self) -> None:
        for worker in self.workers.values():
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(10)
        for process in (self.beat,):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        for web in self.webs:
            web.stop()


@pytest.fixture
def cluster(sandbox, redis_server, tmp_path):  # noqa: F811
    redis_server.client().flushall()
    with throwaway_database("postgresql") as url:
        instance = tmp_path / "instance"  # the one instance folder every process shares (a volume in compose)
        setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "REDIS_URL": redis_server.url},
                           instance_path=str(instance))
        with setup.app_context():
            upgrade()
            clear = admin_with_token(token_name="scale-out")
            db.engine.dispose()
        env = {"REDIS_URL": redis_server.url, "DATABASE_URL": url, "SECRET_KEY": "scale-secret",
               "INSTANCE_PATH": str(instance), "WECHAT_BASE_URL": sandbox.base_url, "LISTENER_LEASE_TTL": "4",
               "LISTENER_HEARTBEAT": "0.5", "SSE_HEARTBEAT_SECONDS": "1"}
        built = Cluster(setup, env, tmp_path, clear)
        try:
            yield built
        finally:
            built.stop()
            with setup.app_context():
                db.engine.dispose()


def sse_until(client: SseClient, predicate, timeout: float) -> list[dict]:
    """Read events until predicate(event) holds; return every event read."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = client.event()
        event["json"] = json.loads(event["data"])
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"no matching event in {timeout}s; saw {[(e['event'], e['json']) for e in seen]}")


def test_two_webs_three_workers_one_beat_and_a_takeover(cluster, sandbox):  # noqa: F811
    for web in cluster.webs:
        wait_for(web.healthy, 60, what=f"gunicorn {web.log_path}")
    wait_for(lambda: cluster.status()["login"]["state"] == "waiting", 60, what="a QR code from one listener")
    sandbox.scan(confirm=True)
    wait_for(lambda: cluster.status(1)["login"]["state"] == "logged_in", 30, what="login")

    # Exactly one listener: one lease, one worker consuming the bot queue, one start.
    time.sleep(2)
    status = cluster.status(1)
    assert status["listener"]["healthy"] and status["listener"]["starts"] == 1, cluster.logs()
    assert cluster.consuming() == [cluster.holder()], cluster.logs()
    first_task = status["listener"]["task_id"]

    # Bot commands reach the process holding the bot from either web process.
    for web in (0, 1):
        chats = cluster.get(web, "/api/wechat/chats")
        assert chats.status_code == 200 and chats.json()["ok"] and len(chats.json()["groups"]) == 3, chats.text
    received_before = cluster.metric(1, "wechat_admin_messages_received_total")

    # SSE clients on both web processes; then SIGKILL the bot's worker and inject messages while nobody listens.
    streams = [SseClient(web.port, "/stream?events=login,listener", cluster.headers, timeout=30)
               for web in cluster.webs]
    for stream in streams:
        assert stream.response.status == 200
    victim = cluster.holder()
    killed_at = time.monotonic()
    cluster.workers[victim].process.send_signal(signal.SIGKILL)
    cluster.workers[victim].process.wait(10)
    friend = sandbox.world(members=False)["friends"][0]["nick_name"]
    sandbox.control("messages", {"from": friend, "type": "text", "content": "during takeover {n}", "count": 5})
    for n in range(3):
        sandbox.control("friend_requests", {"from": f"新朋友{n}", "text": "python"})
    injected_up_to = sandbox.state()["log_position"]

    # Another worker takes over from the persisted session: no scan, within the limit.
    for stream in streams:
        events = sse_until(stream, lambda e: e["event"] == "listener" and e["json"]["status"] == "running",
                           TAKEOVER_LIMIT)
        assert "waiting" not in [e["json"].get("state") for e in events if e["event"] == "login"], events
    status = wait_for(lambda: (s := cluster.status(1))["login"]["state"] == "logged_in" and s, TAKEOVER_LIMIT,
                      what="logged in again")
    takeover = time.monotonic() - killed_at
    print(f"\ntakeover after SIGKILL: {takeover:.1f}s")
    assert takeover < TAKEOVER_LIMIT
    assert status["listener"]["task_id"] != first_task and status["listener"]["starts"] == 2
    assert cluster.holder() != victim
    assert sandbox.state()["login"] == "confirmed"  # the phone was never asked to scan again
    for stream in streams:
        stream.close()

    # Nothing that arrived during the takeover is lost: the new session synced past it, and the bot handled it.
    wait_for(lambda: (sandbox.state()["session"] or {}).get("sync_position", -1) >= injected_up_to, 20,
             what="the new session to sync past the injected messages")
    requests_seen = wait_for(lambda: {r["nick_name"] for r in cluster.get(0, "/api/wechat/friend_requests")
                                      .json()["items"]} >= {f"新朋友{n}" for n in range(3)}, 20,
                             what="the friend requests sent during the takeover")
    assert requests_seen
    wait_for(lambda: cluster.metric(1, "wechat_admin_messages_received_total") >= received_before + 8, 20,
             what="messages received during the takeover counted by the new listener (seen from web 2)")
    wanted = sorted(f"during takeover {n}" for n in range(1, 6))
    wait_for(lambda: cluster.archived("during takeover%") == wanted, 20,
             what=f"the takeover's messages archived exactly once (have {cluster.archived('during takeover%')})")

    # Still exactly one listener, and commands work through both web processes again.
    time.sleep(2)
    assert cluster.consuming() == [cluster.holder()], cluster.logs()
    assert cluster.status()["listener"]["starts"] == 2
    for web in (0, 1):
        assert cluster.get(web, "/api/wechat/chats").json()["ok"]
    assert cluster.metric(0, "wechat_admin_listener_up") == 1
