"""Benchmark 2: message ingest through a real Celery worker running the listener, into SQLite.

1. 10,000 text messages (half from friends, half in groups) injected through the sandbox in bursts at the target
   rate (500 every second), then wait until all are stored: throughput = stored / (last stored - first injected),
   latency = a row's received_at - the moment its burst was injected. Keeping up with 500/s caps that throughput
   at 500/s, so a second phase in the same worker offers 20,000 at 2,000/s to show how much more it can take;
2. upper bounds: the worker stopped, a Bot in this process with one no-op handler receives a flood of 10,000
   (itchat's receive loop + wxpy's dispatch, nothing archived): an unmodified wxpy Bot, then the worker's own Bot
   class (drivers/itchat/connection.py HeldBot, which avoids wxpy's per-message chat lookups and makes itchat's
   per-group-message deep copy cheap, so the archive can outrun the unmodified wxpy bound).
Every injected MsgId must be stored exactly once.

    .venv/bin/python -m bench.ingest [--messages 10000 --burst 500 --rate 500 --max-wait 900]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Timer, loadavg, migrated_app, quiet_logs, ratio, stats_ms, write_result

TARGETS = {"throughput_per_s": 500.0, "p99_latency_ms": 2000.0}


def inject(sandbox, senders: list[dict], total: int, burst: int, interval: float) -> dict[str, float]:
    """Bursts of `burst` messages every `interval` seconds (0: back to back); {msg_id: injection time}."""
    injected: dict[str, float] = {}
    number = 0
    next_at = time.time()
    while len(injected) < total:
        count = min(burst, total - len(injected))
        sender = senders[number % len(senders)]
        if interval:
            time.sleep(max(0.0, next_at - time.time()))
            next_at += interval
        started = time.time()
        answer = sandbox.control("messages", {**sender, "type": "text", "count": count,
                                              "content": f"bench burst {number} message {{n}} 你好"})
        for msg_id in answer["msg_ids"]:
            injected[msg_id] = started
        number += 1
    return injected


def stored_rows(db_path: Path, ids: set[str]) -> list[tuple[str, float]]:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT msg_id, received_at FROM messages").fetchall()
    finally:
        connection.close()
    parsed = []
    for msg_id, received_at in rows:
        if msg_id in ids:
            parsed.append((msg_id, datetime.fromisoformat(str(received_at)).replace(tzinfo=UTC).timestamp()))
    return parsed


def count_stored(db_path: Path) -> int:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        connection.close()


def wait_stored(db_path: Path, expected: int, timeout: float) -> bool:
    """Until `expected` rows are stored (True) or the time is up (False: the rest is reported missing)."""
    deadline = time.monotonic() + timeout
    while count_stored(db_path) < expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def summarize(injected: dict[str, float], rows: list[tuple[str, float]], load: list[float]) -> dict:
    stored_ids = [msg_id for msg_id, _ in rows]
    latencies = [received - injected[msg_id] for msg_id, received in rows]
    first_injected = min(injected.values())
    last_stored = max(received for _, received in rows) if rows else first_injected
    seconds = max(1e-3, last_stored - first_injected)
    return {"messages": len(injected), "stored": len(stored_ids), "distinct_stored": len(set(stored_ids)),
            "missing": len(set(injected) - set(stored_ids)), "duplicates": len(stored_ids) - len(set(stored_ids)),
            "seconds": round(seconds, 2), "throughput_per_s": round(len(rows) / seconds, 1),
            "latency": stats_ms(latencies), "loadavg": load}


def run_worker_phases(args, folder: Path, sandbox, redis_server, senders: list[dict],
                      extra_env: dict[str, str] | None = None) -> dict:
    """The worker phases in `folder` (its own database); `extra_env` picks the driver (bench/drivers.py)."""
    from tests.fixtures.processes import start_worker, wait_for
    from wechat.bot.state import BotState

    redis_server.client().flushall()
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "ingest.db"
    migrated_app(f"sqlite:///{db_path}", folder / "setup", redis_server.url)
    env = {"REDIS_URL": redis_server.url, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench-secret",
           "INSTANCE_PATH": str(folder / "instance"), "WECHAT_BASE_URL": sandbox.base_url, **(extra_env or {})}
    worker = start_worker(env, folder / "worker.log", "--hostname", "bench-ingest@%h")
    state = BotState(redis_server.client())
    try:
        wait_for(lambda: state.login()["state"] == "waiting", 60, what="the worker's QR code")
        sandbox.scan(confirm=True)
        wait_for(lambda: state.login()["state"] == "logged_in", 60, what="the worker's login")
        time.sleep(3)  # the sync after login runs in the same process: let it finish first
        phases = {"archive": offered_phase(db_path, sandbox, senders, args.messages, args.burst, args.rate,
                                           args.max_wait)}
        print("archive:", phases["archive"], flush=True)
        if args.capacity_rate > 0:
            phases["capacity"] = offered_phase(db_path, sandbox, senders, args.capacity_messages, args.burst,
                                               args.capacity_rate, args.max_wait)
            print("capacity:", phases["capacity"], flush=True)
        phases["archive"]["worker_log_tail"] = worker.log()[-1500:]
        return phases
    finally:
        worker.stop()


def offered_phase(db_path: Path, sandbox, senders: list[dict], messages: int, burst: int, rate: float,
                  max_wait: float) -> dict:
    """Offer `messages` at `rate` per second and wait until all are stored (or max_wait is up)."""
    expected = count_stored(db_path)
    load = loadavg()
    injected = inject(sandbox, senders, messages, burst, burst / rate)
    complete = wait_stored(db_path, expected + len(injected), timeout=max_wait)
    phase = summarize(injected, stored_rows(db_path, set(injected)), load)
    phase.update({"offered_per_s": rate, "complete_within_max_wait": complete, "loadavg_end": loadavg()})
    return phase


def login_held_bot(sandbox, folder: Path, timeout: float = 60.0):
    """The worker's Bot class (not yet releasing its loop), logged in through the QR flow like login_bot()."""
    import itchat.config

    from wechat.bot.driver_factory import itchat as itchat_driver

    itchat_driver.apply_compat()
    itchat.config.BASE_URL = sandbox.base_url
    qr_shown, outcome = threading.Event(), {}

    def qr_callback(uuid: str, status: str, qrcode: bytes) -> None:
        if status == "0":
            qr_shown.set()

    def run() -> None:
        try:
            outcome["bot"] = itchat_driver.create_bot(itchat_driver.SessionFiles(folder), qr_callback,
                                                      lambda: None, lambda: None)
        except BaseException as exc:  # noqa: BLE001  (raised in the caller)
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert qr_shown.wait(timeout), "no QR code"
    sandbox.scan(confirm=True)
    thread.join(timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["bot"]


def run_noop_phase(args, sandbox, senders: list[dict], held_in: Path | None = None) -> dict:
    """An upper bound: itchat's receive loop and wxpy's dispatch with a handler that does nothing; an unmodified
    wxpy Bot, or with `held_in` (a session folder) the worker's HeldBot."""
    from tests.fixtures.sandbox import login_bot, stop_bot

    bot = login_held_bot(sandbox, held_in) if held_in else login_bot(sandbox, timeout=60)
    received = []
    done = threading.Event()

    @bot.register(except_self=False, run_async=False)
    def noop(msg):
        received.append(time.time())
        if len(received) >= args.messages:
            done.set()

    if held_in:
        bot.release()
    try:
        time.sleep(2)
        received.clear()
        load = loadavg()
        timer = Timer()
        injected = inject(sandbox, senders, args.messages, 1000, 0.0)  # the same senders as the archive run
        first = min(injected.values())
        done.wait(args.messages / 20 + 60)
        seconds = max(1e-3, (received[-1] if received else time.time()) - first)
        return {"messages": len(injected), "received": len(received), "seconds": round(seconds, 2),
                "throughput_per_s": round(len(received) / seconds, 1), "wall_seconds": timer.seconds(),
                "loadavg": load}
    finally:
        stop_bot(bot)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500.0, help="offered messages per second")
    parser.add_argument("--max-wait", type=float, default=900.0, help="seconds to wait for the archive to catch up")
    parser.add_argument("--capacity-messages", type=int, default=20_000)
    parser.add_argument("--capacity-rate", type=float, default=2000.0,
                        help="a second phase offering more than the target, to show the headroom (0: skip)")
    args = parser.parse_args()
    quiet_logs()

    from tests.fixtures.processes import RedisServer
    from tests.fixtures.sandbox import start_sandbox, stop_sandbox

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    redis_server = RedisServer(folder / "redis").start()
    sandbox = start_sandbox("--friends", "50", "--groups", "5", "--members", "100", "--mps", "3", "--seed", "3")
    try:
        world = sandbox.world()
        me = world["account"]["nick_name"]
        senders = [{"from": f["nick_name"]} for f in world["friends"][:5]]
        for group in world["groups"][:5]:
            member = next(m for m in group["members"] if m != me)
            senders.append({"from": member, "group": group["name"]})
        phases = run_worker_phases(args, folder, sandbox, redis_server, senders)
        archive = phases["archive"]
        noop = run_noop_phase(args, sandbox, senders)
        noop_held = run_noop_phase(args, sandbox, senders, held_in=folder / "held-bot")
    finally:
        stop_sandbox(sandbox)
        redis_server.stop()
    result = {
        "parameters": vars(args), "targets": TARGETS, "archive": archive, "capacity": phases.get("capacity"),
        "noop_upper_bound": noop, "noop_held_bot_upper_bound": noop_held,
        "summary": {
            "throughput_per_s": archive["throughput_per_s"], "p99_latency_ms": archive["latency"]["p99_ms"],
            "exactly_once": archive["missing"] == 0 and archive["duplicates"] == 0,
            "noop_throughput_per_s": noop["throughput_per_s"],
            "noop_vs_archive": ratio(noop["throughput_per_s"], archive["throughput_per_s"]),
            "noop_held_bot_throughput_per_s": noop_held["throughput_per_s"],
            "capacity_throughput_per_s": phases["capacity"]["throughput_per_s"] if "capacity" in phases else None,
            "capacity_p99_latency_ms": phases["capacity"]["latency"]["p99_ms"] if "capacity" in phases else None,
        },
    }
    print(write_result("ingest", result))


if __name__ == "__main__":
    main()
