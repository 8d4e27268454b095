"""GET /stream: through the Flask test client, and end to end through two real gunicorn gevent web processes."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import create_app
from extensions import db
from libs.events import CHANNEL, publish
from libs.sse import get_hub
from tests.fixtures.admins import admin_with_token
from tests.fixtures.processes import ROOT, free_port, wait_for

HEARTBEAT_SECONDS = 1


# --- Flask test client -------------------------------------------------------------------------------------------

@pytest.fixture
def hub(app):
    """The hub the test client's request starts in this process; stopped after the test, so it leaves no thread."""
    hub = get_hub(app.config["REDIS_URL"])
    yield hub
    hub.stop()


def test_unauthenticated_stream_is_a_401_json(client):
    response = client.get("/stream")
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


def test_unknown_event_filter_is_a_400(client, api_token):
    response = client.get("/stream?events=login,bogus", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 400
    assert "bogus" in response.get_json()["error"]


def test_stream_through_the_test_client(hub, client, api_token):
    subscriber_count_before = len(hub.subscribers)
    response = client.get("/stream", headers={"Authorization": f"Bearer {api_token}"}, buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    chunks = iter(response.response)
    assert next(chunks) == b"retry: 3000\n\n"
    latest = publish("notification", {"unread": 2})
    assert next(chunks) == f"id: {latest}\n\n".encode()  # where this client starts...
    # ...but it subscribed before that event, so it still gets it.
    assert next(chunks) == f'id: {latest}\nevent: notification\ndata: {{"unread":2}}\n\n'.encode()
    event_id = publish("notification", {"unread": 3})
    assert next(chunks) == f'id: {event_id}\nevent: notification\ndata: {{"unread":3}}\n\n'.encode()
    assert subscriber_count_before < len(hub.subscribers)
    response.close()
    # The client left: its queue is gone (the hub is the process's; streams other tests left open stay in it).
    assert len(hub.subscribers) == subscriber_count_before


def test_stream_without_redis_is_a_503(app, client, api_token, monkeypatch):
    monkeypatch.setattr("libs.sse.READY_TIMEOUT", 0.3)
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        response = client.get("/stream", headers={"Authorization": f"Bearer {api_token}"})
        assert response.status_code == 503
        assert "unavailable" in response.get_json()["error"]
    finally:
        get_hub(app.config["REDIS_URL"]).stop()


# --- Real gunicorn gevent servers --------------------------------------------------------------------------------

class SseClient:
    """A minimal EventSource over http.client: reads one `\\n\\n`-terminated block at a time."""

    def __init__(self, port: int, path: str = "/stream", headers: dict | None = None, timeout: float = 10):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.connection.request("GET", path, headers=headers or {})
        self.response = self.connection.getresponse()
        self.raw = b""

    def block(self) -> dict:
        fields: dict = {"comments": []}
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("stream closed")
            self.raw += line
            line = line.decode().rstrip("\n")
            if not line:
                if fields != {"comments": []}:
                    return fields
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if not name:
                fields["comments"].append(value)
            else:
                fields[name] = value

    def event(self) -> dict:
        """The next block with data (skips retry, id-only blocks and heartbeats)."""
        while "data" not in (block := self.block()):
            pass
        return block

    def close(self) -> None:
        self.connection.close()


class WebServer:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
                 "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--no-control-socket", "app:app"],
                cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            )

    def healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture(scope="module")
def web(tmp_path_factory, migrated_db, redis_server):
    """Two gunicorn gevent web processes on one Redis and one database, and an API token for both."""
    folder = tmp_path_factory.mktemp("web")
    db_path = folder / "web.db"
    shutil.copy(migrated_db, db_path)
    setup = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "test",
                        "REDIS_URL": redis_server.url}, instance_path=str(folder / "setup"))
    with setup.app_context():
        clear = admin_with_token(token_name="stream-tests")
        db.engine.dispose()
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": redis_server.url, "SECRET_KEY": "test-secret",
           "INSTANCE_PATH": str(folder / "instance"), "SSE_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
           "SSE_AUTH_RECHECK_SECONDS": "1"}
    servers = [WebServer(env, folder / f"gunicorn-{number}.log") for number in (1, 2)]
    try:
        for server in servers:
            wait_for(server.healthy, 30, what=f"gunicorn on {server.port}: {server.log_path}")
        yield servers, {"Authorization": f"Bearer {clear}"}
    finally:
        for server in servers:
            server.stop()


def connect(server: WebServer, auth: dict, path: str = "/stream", **headers: str) -> SseClient:
    client = SseClient(server.port, path, {**auth, **headers})
    assert client.response.status == 200, client.response.read()
    assert client.block()["retry"] == "3000"
    return client


def test_an_event_reaches_clients_of_both_web_processes(web, redis_server):
    servers, auth = web
    clients = [connect(server, auth) for server in servers for _ in range(2)]
    try:
        # One Redis subscription per web process, however many browsers it serves.
        numsub = wait_for(lambda: redis_server.client().pubsub_numsub(CHANNEL)[0][1], 10, what="subscribers")
        assert numsub == 2
        event_id = publish("message", {"text": "你好 😀"}, client=redis_server.client())
        for client in clients:
            received = client.event()
            assert (received["id"], received["event"]) == (event_id, "message")
            assert json.loads(received["data"]) == {"text": "你好 😀"}
    finally:
        for client in clients:
            client.close()


def test_last_event_id_replays_exactly_the_missed_events(web, redis_server):
    servers, auth = web
    redis = redis_server.client()
    first = connect(servers[0], auth)
    seen = publish("job", {"n": 1}, client=redis)
    assert first.event()["id"] == seen
    first.close()
    missed = [publish("job", {"n": n}, client=redis) for n in (2, 3, 4)]
    # The browser's reconnect (header) on the other process, and a first connect resuming via the query string.
    for client in (connect(servers[1], auth, **{"Last-Event-ID": seen}),
                   connect(servers[0], auth, f"/stream?last_event_id={seen}")):
        try:
            assert [client.event()["id"] for _ in missed] == missed
            live = publish("job", {"n": 5}, client=redis)
            assert client.event()["id"] == live  # straight on to live events, nothing repeated
        finally:
            client.close()
        missed.append(live)


def test_heartbeats_keep_an_idle_stream_open(web):
    servers, auth = web
    client = connect(servers[0], auth)
    try:
        started = time.monotonic()
        while "heartbeat" not in client.block()["comments"]:
            pass
        assert time.monotonic() - started < HEARTBEAT_SECONDS * 3
    finally:
        client.close()


def test_unauthenticated_stream_on_gunicorn_is_a_401(web):
    servers, _ = web
    for headers in ({}, {"Authorization": "Bearer wxa_not-a-token"}):
        client = SseClient(servers[0].port, headers=headers)
        assert client.response.status == 401
        assert client.response.getheader("Content-Type") == "application/json"
        assert "error" in json.loads(client.response.read())
        client.close()


def test_event_filter_on_gunicorn(web, redis_server):
    servers, auth = web
    client = connect(servers[1], auth, "/stream?events=login,job")
    try:
        publish("message", {"skip": True}, client=redis_server.client())
        wanted = publish("login", {"state": "scan"}, client=redis_server.client())
        received = client.event()
        assert (received["id"], received["event"]) == (wanted, "login")
    finally:
        client.close()


def test_script_in_event_data_arrives_as_inert_json(web, redis_server):
    servers, auth = web
    client = connect(servers[0], auth)
    hostile = {"nick": "<img src=x onerror=alert(1)>", "text": "</script><script>alert(1)</script>"}
    try:
        publish("message", hostile, client=redis_server.client())
        received = client.event()
        assert json.loads(received["data"]) == hostile
        assert b"<script>" not in client.raw and b"<img" not in client.raw
        assert client.response.getheader("Content-Type").startswith("text/event-stream")
        assert client.response.getheader("X-Content-Type-Options") == "nosniff"
    finally:
        client.close()


def _sockets_in_close_wait(port: int) -> int:
    """Server sockets whose client hung up but whose response is still open (state 08 in /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                count += int(local.rsplit(":", 1)[1], 16) == port and state == "08"
    return count


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_a_client_that_hangs_up_is_cleaned_up(web):
    servers, auth = web
    clients = [connect(servers[0], auth) for _ in range(5)]
    for client in clients:
        client.close()
    # The next heartbeat write fails, the server closes the body and the socket; nothing lingers in CLOSE_WAIT.
    wait_for(lambda: _sockets_in_close_wait(servers[0].port) == 0, HEARTBEAT_SECONDS * 5,
             what="the server to close streams of clients that left")


def call_api(server: WebServer, method: str, path: str, auth: dict, body: dict | None = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={**auth, "Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status < 300, (response.status, response.read())
        return json.loads(response.read())
    finally:
        connection.close()


def test_stream_on_gunicorn_closes_when_its_token_is_revoked(web):
    """Revoked on one process, the stream on the other ends within the re-check interval with a `revoked` event."""
    servers, auth = web
    created = call_api(servers[1], "POST", "/api/tokens", auth, {"name": "wallboard", "scope": "read"})
    client = connect(servers[0], {"Authorization": f"Bearer {created['clear']}"})
    try:
        call_api(servers[1], "DELETE", f"/api/tokens/{created['token']['id']}", auth)
        started = time.monotonic()
        events = []
        with pytest.raises(EOFError):
            while True:
                events.append(client.block().get("event"))
        assert events[-1] == "revoked"
        assert time.monotonic() - started < 4
    finally:
        client.close()
