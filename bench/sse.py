"""Benchmark 3: SSE fan-out to 1,000 authenticated clients on ONE gunicorn gevent web process.

The web process serves a database with 10,000 friends. Clients are asyncio sockets in this process (one token,
1,000 connections). Each published event carries its publish time; every client notes when it arrives.
Baseline in the same run: the same events with 10 clients, and /api/contacts?q= with no SSE client connected.

    .venv/bin/python -m bench.sse [--clients 1000 --events 20]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench.common import (
    ROOT,
    children_of,
    issue_token,
    loadavg,
    migrated_app,
    proc_memory_mb,
    quiet_logs,
    ratio,
    stats_ms,
    write_result,
)

TARGETS = {"delivery_p99_ms": 1000.0, "web_rss_mb": 300.0, "contacts_p95_ms": 100.0}
SEARCHES = ["王", "li", "🐍", "alice", "张伟", "coder1", "x", "芳_", "Tom", "12"]


class Clients:
    """Many SSE connections on one asyncio loop; `arrivals[n]` lists the latency of event n at each client."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.request = (f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                        "Accept: text/event-stream\r\n\r\n").encode()
        self.arrivals: dict[int, list[float]] = {}
        self.connected = 0
        self.failed: list[str] = []
        self.tasks: list[asyncio.Task] = []

    async def _client(self, ready: asyncio.Event, total: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        except OSError as error:
            self.failed.append(str(error))
            return
        writer.write(self.request)
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            self.failed.append(status.decode(errors="replace").strip())
            writer.close()
            return
        while await reader.readline() not in (b"\r\n", b""):
            pass
        self.connected += 1
        if self.connected + len(self.failed) >= total:
            ready.set()
        try:
            while line := await reader.readline():
                if line.startswith(b"data: ") and b"bench_t" in line:
                    now = time.time()
                    data = json.loads(line[6:])
                    self.arrivals.setdefault(data["n"], []).append(now - data["bench_t"])
        finally:
            writer.close()

    async def connect(self, count: int, per_second: float = 500.0) -> float:
        ready = asyncio.Event()
        started = time.monotonic()
        for number in range(count):
            self.tasks.append(asyncio.create_task(self._client(ready, count)))
            if number % 50 == 49:
                await asyncio.sleep(50 / per_second)
        await asyncio.wait_for(ready.wait(), 120)
        return round(time.monotonic() - started, 2)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def publish_events(redis_client, count: int, interval: float, first: int) -> None:
    from libs.events import publish

    for n in range(first, first + count):
        await asyncio.to_thread(publish, "message", {"bench_t": time.time(), "n": n, "text": "benchmark 事件"},
                                redis_client)
        await asyncio.sleep(interval)


def contacts_latencies(port: int, token: str, count: int, stop: threading.Event | None = None) -> list[float]:
    """Sequential GET /api/contacts?q=… on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    try:
        for number in range(count):
            if stop is not None and stop.is_set():
                break
            started = time.perf_counter()
            connection.request("GET", f"/api/contacts?q={quote(SEARCHES[number % len(SEARCHES)])}",
                               headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"/api/contacts answered {response.status}: {body[:200]!r}")
    finally:
        connection.close()
    return latencies


async def fan_out(port: int, token: str, redis_client, clients: int, events: int, first: int) -> dict:
    group = Clients(port, token)
    connect_seconds = await group.connect(clients)
    await asyncio.sleep(1)
    load = loadavg()
    await publish_events(redis_client, events, 0.5, first)
    await asyncio.sleep(2)
    await group.close()
    latencies = [value for n in range(first, first + events) for value in group.arrivals.get(n, [])]
    return {"clients": clients, "connected": group.connected, "failed": len(group.failed),
            "failures": group.failed[:3], "connect_seconds": connect_seconds, "events": events,
            "deliveries": len(latencies), "expected_deliveries": clients * events, "delivery": stats_ms(latencies),
            "loadavg": load}


async def loaded_phase(port: int, token: str, redis_client, args, worker_pid: int) -> dict:
    group = Clients(port, token)
    connect_seconds = await group.connect(args.clients)
    await asyncio.sleep(2)
    memory_connected = proc_memory_mb(worker_pid)
    load = loadavg()
    stop = threading.Event()
    searches = asyncio.create_task(asyncio.to_thread(contacts_latencies, port, token, args.requests, stop))
    await publish_events(redis_client, args.events, 0.5, 1000)
    await asyncio.sleep(2)
    stop.set()
    search_latencies = await searches
    memory_after = proc_memory_mb(worker_pid)
    await group.close()
    latencies = [value for n in range(1000, 1000 + args.events) for value in group.arrivals.get(n, [])]
    return {"clients": args.clients, "connected": group.connected, "failed": len(group.failed),
            "failures": group.failed[:3], "connect_seconds": connect_seconds, "events": args.events,
            "deliveries": len(latencies), "expected_deliveries": args.clients * args.events,
            "delivery": stats_ms(latencies), "contacts_search": stats_ms(search_latencies),
            "web_memory_connected": memory_connected, "web_memory_after": memory_after, "loadavg": load}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()
    quiet_logs()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.clients + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # inherited by gunicorn

    from bench.data import generate
    from extensions import db
    from tests.fixtures.processes import RedisServer, free_port, wait_for

    folder = Path(tempfile.mkdtemp(prefix="bench-sse-"))
    redis_server = RedisServer(folder / "redis").start()
    db_path = folder / "web.db"
    app = migrated_app(f"sqlite:///{db_path}", folder / "setup", redis_server.url)
    with app.app_context():
        generate(args.contacts, 0)
        db.session.remove()
        db.engine.dispose()
    token = issue_token(app)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": redis_server.url,
           "SECRET_KEY": "bench-secret", "INSTANCE_PATH": str(folder / "instance"), "WECHAT_AUTOSTART": "0"}
    log = open(folder / "gunicorn.log", "ab")  # noqa: SIM115 (the child writes to it while it runs)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1", "--worker-connections",
         "2000", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--no-control-socket", "app:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        def healthy() -> bool:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200

        wait_for(healthy, 60, what=f"gunicorn ({folder / 'gunicorn.log'})")
        worker_pid = children_of(server.pid)[0]
        redis_client = redis_server.client()
        contacts_latencies(port, token, 20)  # warm up
        idle_load = loadavg()
        idle_search = stats_ms(contacts_latencies(port, token, args.requests))
        idle_memory = proc_memory_mb(worker_pid)
        small = asyncio.run(fan_out(port, token, redis_client, 10, args.events, 0))
        print("10 clients:", small, flush=True)
        loaded = asyncio.run(loaded_phase(port, token, redis_client, args, worker_pid))
        print(f"{args.clients} clients:", loaded, flush=True)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        redis_server.stop()
    result = {
        "parameters": vars(args), "targets": TARGETS,
        "idle": {"contacts_search": idle_search, "web_memory": idle_memory, "loadavg": idle_load},
        "fan_out_10": small, "fan_out_loaded": loaded,
        "summary": {
            "delivery_p99_ms": loaded["delivery"]["p99_ms"], "delivery_p99_ms_10_clients": small["delivery"]["p99_ms"],
            "all_delivered": loaded["deliveries"] == loaded["expected_deliveries"],
            "web_rss_mb": loaded["web_memory_after"]["peak_rss_mb"], "web_rss_mb_idle": idle_memory["rss_mb"],
            "contacts_p95_ms": loaded["contacts_search"]["p95_ms"],
            "contacts_p95_ms_idle": idle_search["p95_ms"],
            "contacts_slowdown": ratio(loaded["contacts_search"]["p95_ms"], idle_search["p95_ms"]),
        },
    }
    print(write_result("sse", result))


if __name__ == "__main__":
    main()
