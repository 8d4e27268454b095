"""Benchmark (sketch, issue 18): many accounts over several worker processes, one sandbox hosting every account.

    .venv/bin/python -m bench.accounts [--accounts 50 --workers 3 --friends 200 --groups 20 --members 100]
                                       [--messages 100] [--database-url postgresql+psycopg2://...]

Measures, on the padpro driver (each account a gateway base URL of its own under the sandbox's /a/<name>/):
1. all accounts logged in and synced (their friends in the database) after their QR confirmations;
2. resident memory of each worker process and per account;
3. messages spread over all accounts: aggregate archive rate, each stored exactly once;
4. SIGKILL of one worker during that load: seconds until its accounts run elsewhere; then a new worker: seconds
   until it holds a share.
Not yet measured (the issue's full list): p99 injection → stored per message, and the 1-worker baseline run
(run again with --workers 1). SQLite by default; give --database-url for PostgreSQL at the issue's scale.
"""

from __future__ import annotations

import argparse
import math
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import loadavg, migrated_app, proc_memory_mb, quiet_logs, write_result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.accounts")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--friends", type=int, default=200)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--messages", type=int, default=100, help="messages per account in the load phase")
    parser.add_argument("--database-url", default="")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:  # noqa: PLR0915  (one linear script of phases)
    from sqlalchemy import create_engine, text

    from extensions import db
    from tests.fixtures.processes import RedisServer, start_worker, wait_for
    from tests.fixtures.sandbox import start_sandbox, stop_sandbox
    from wechat.bot.state import BotState
    from wechat.workers.placer import holder_of
    from wechat.workers.slots import add_account

    args = parse_args(argv)
    quiet_logs()
    folder = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    redis_server = RedisServer(folder / "redis").start()
    sandbox = start_sandbox("--friends", str(args.friends), "--groups", str(args.groups), "--members",
                            str(args.members), "--mps", "0", "--accounts", str(args.accounts - 1))
    database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    app = migrated_app(database_url, folder / "instance", redis_server.url, WECHAT_DRIVER="padpro",
                       PADPRO_BASE_URL=sandbox.base_url, PADPRO_KEY="sandbox-gateway-key")
    slots = ["default"] + [f"a{n}" for n in range(1, args.accounts)]
    with app.app_context():
        for slot in slots[1:]:
            add_account(slot, "padpro", {"base_url": f"{sandbox.base_url}/a/{slot}", "key": "sandbox-gateway-key"})
        db.session.commit()
    env = {"REDIS_URL": redis_server.url, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
           "INSTANCE_PATH": str(folder / "instance"), "WECHAT_DRIVER": "padpro", "PADPRO_BASE_URL": sandbox.base_url,
           "PADPRO_KEY": "sandbox-gateway-key", "PADPRO_HTTP_SYNC_SECONDS": "5", "PLACEMENT_INTERVAL": "2",
           "LISTENER_LEASE_TTL": "8",
           "WORKER_MAX_ACCOUNTS": str(args.accounts), "SEND_DELAY_MIN": "0.05", "SEND_DELAY_MAX": "0.1"}
    workers = []

    def add_worker():
        name = f"bench{len(workers)}"
        workers.append(start_worker(env, folder / f"{name}.log", "--hostname", f"{name}@%h",
                                    "--concurrency", str(args.accounts + 30)))
        return name

    client = redis_server.client()
    states = lambda: {slot: BotState(client, slot).login()["state"] for slot in slots}  # noqa: E731
    holders = lambda: {slot: holder_of(BotState(client, slot)) for slot in slots}  # noqa: E731
    engine = create_engine(database_url)

    def base(slot: str) -> str:
        return sandbox.base_url + ("" if slot == "default" else f"/a/{slot}")

    def count(sql: str) -> dict:
        with engine.connect() as connection:
            return dict(connection.execute(text(sql)).all())

    result: dict = {"parameters": vars(args), "load_average_start": loadavg()}
    try:
        for _ in range(args.workers):
            add_worker()
        confirmed: dict[str, float] = {}
        deadline = time.monotonic() + 600
        while len(confirmed) < len(slots) or not all(s == "logged_in" for s in states().values()):
            assert time.monotonic() < deadline, f"not all logged in: {states()}"
            for slot, state in states().items():
                if state == "waiting":
                    sandbox.http.post(f"{base(slot)}/_sandbox/scan", json={"confirm": True}, timeout=30)
                    confirmed[slot] = time.monotonic()
                elif state == "logged_in":
                    confirmed.setdefault(slot, time.monotonic())
            time.sleep(0.5)
        last_scan = max(confirmed.values())
        wait_for(lambda: len([n for n in count("SELECT account_id, count(*) FROM contacts WHERE is_friend "
                                               "GROUP BY account_id").values() if n >= args.friends]) >= len(slots),
                 900, interval=2, what="every account synced")
        result["all_logged_in_and_synced_after_last_confirmation_seconds"] = round(time.monotonic() - last_scan, 1)
        time.sleep(10)  # idle
        memory = [proc_memory_mb(w.process.pid)["rss_mb"] for w in workers]
        result["worker_rss_mb"] = memory
        result["rss_per_account_mb"] = round(sum(memory) / len(slots), 1)

        def inject(slot: str) -> None:
            friends = sandbox.http.get(f"{base(slot)}/_sandbox/world?members=0", timeout=60).json()["friends"]
            sandbox.http.post(f"{base(slot)}/_sandbox/messages", timeout=120, json={
                "from": friends[0]["nick_name"], "type": "text", "content": f"load {slot} {{n}}",
                "count": args.messages})

        total = args.messages * len(slots)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(inject, slots))
        # SIGKILL the busiest worker during the load.
        victim = max(range(len(workers)), key=lambda i: sum(
            1 for h in holders().values() if h and h.startswith(f"bench{i}@")))
        moved = [s for s, h in holders().items() if h and h.startswith(f"bench{victim}@")]
        workers[victim].process.send_signal(signal.SIGKILL)
        workers[victim].process.wait(10)
        killed = time.monotonic()
        wait_for(lambda: all(not (holders()[s] or "").startswith(f"bench{victim}@") and states()[s] == "logged_in"
                             for s in moved), 300, interval=0.5, what="the victim's accounts running elsewhere")
        result["takeover_after_sigkill_seconds"] = round(time.monotonic() - killed, 1)
        stored = "SELECT 1, count(*) FROM messages WHERE text LIKE 'load %'"
        wait_for(lambda: count(stored).get(1, 0) >= total, 900, interval=1, what=f"{total} archived")
        elapsed = time.monotonic() - started
        result["messages_archived_per_second"] = round(total / elapsed, 1)
        distinct = count("SELECT 1, count(DISTINCT msg_id) FROM messages WHERE text LIKE 'load %'").get(1, 0)
        result["messages_sent_stored_distinct"] = [total, count(stored).get(1, 0), distinct]
        newcomer = add_worker()
        joined = time.monotonic()
        share = math.floor(len(slots) / args.workers)
        wait_for(lambda: sum(1 for h in holders().values() if h and h.startswith(newcomer + "@")) >= max(1, share - 1),
                 300, interval=0.5, what="the new worker taking a share")
        result["new_worker_share_seconds"] = round(time.monotonic() - joined, 1)
        result["final_placement"] = {w: sum(1 for h in holders().values() if h and h.startswith(w + "@"))
                                     for w in (f"bench{i}" for i in range(len(workers)))}
    finally:
        result["load_average_end"] = loadavg()
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
        stop_sandbox(sandbox)
        redis_server.stop()
    print(write_result("accounts", result))


if __name__ == "__main__":
    main()
