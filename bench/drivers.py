"""Benchmark 6: the gateway driver (padpro) beside itchat, measured in the same run on the same sandbox.

1. Sync of the large world (10,000 friends, 200 groups x 500 members, 100 MPs; the sync benchmark's world): one
   process logs an unmodified wxpy Bot in through the web face and a PadProDriver through the gateway face, and
   runs the product's run_sync for each into its own empty SQLite database. The gateway lists ids first, then
   details in batches of 20 (drivers/padpro/driver.py), so it makes ~580 HTTP calls where itchat makes a few.
2. Ingest: the ingest benchmark's worker phases (bench/ingest.py: a real Celery worker, the listener, SQLite) once
   with WECHAT_DRIVER=itchat and once with WECHAT_DRIVER=padpro (the WebSocket, the event spool), same senders,
   same offered rate; throughput, p99 latency, exactly once.
Ratios are padpro / itchat (sync: seconds, higher is slower; ingest: throughput, lower is slower).

    .venv/bin/python -m bench.drivers [--friends 10000 --groups 200 --members 500 --mps 100]
        [--messages 5000 --rate 500 --capacity-messages 10000 --capacity-rate 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.common import Timer, loadavg, migrated_app, proc_memory_mb, quiet_logs, ratio, write_result

GATEWAY_KEY = "sandbox-gateway-key"  # pre-issued by the sandbox's gateway face


def login_padpro(sandbox, timeout: float = 300.0):
    from drivers.types import LoginState
    from wechat.bot.driver_factory import build_driver  # the one way the product builds a driver

    driver = build_driver({"WECHAT_DRIVER": "padpro", "PADPRO_BASE_URL": sandbox.base_url, "PADPRO_KEY": GATEWAY_KEY,
                           "PADPRO_HTTP_SYNC_SECONDS": 3600})
    driver.login_qr()
    sandbox.scan(confirm=True)
    deadline = time.monotonic() + timeout
    while driver.login_state() is not LoginState.LOGGED_IN:
        if time.monotonic() > deadline:
            raise TimeoutError("the padpro driver did not log in")
        time.sleep(0.2)
    return driver


def timed_sync(app, connection, account_of, state) -> dict:
    from bench.sync import counts
    from extensions import db
    from wechat.sync.runner import run_sync

    with app.app_context():
        account_id = account_of(connection)
        db.session.commit()
        before = proc_memory_mb(os.getpid())
        load = loadavg()
        timer = Timer()
        steps = run_sync(connection, account_id, state, "all")
        seconds = timer.seconds()
        after = proc_memory_mb(os.getpid())
        stored = counts(account_id)
        db.session.remove()
    return {"seconds": seconds, "loadavg": load, "steps": steps, "stored": stored,
            "rss_growth_mb": round(after["rss_mb"] - before["rss_mb"], 1), "rss_mb_after": after["rss_mb"]}


def sync_phase(args, folder: Path, redis_server) -> dict:
    from tests.fixtures.sandbox import login_bot, start_sandbox, stop_bot, stop_sandbox
    from wechat.accounts import account_of_bot, ensure_account
    from wechat.bot.driver_factory import itchat
    from wechat.bot.state import BotState

    sandbox = start_sandbox("--friends", str(args.friends), "--groups", str(args.groups), "--members",
                            str(args.members), "--mps", str(args.mps), "--seed", "7", "--saved-groups", "1",
                            ready_timeout=300)
    state = BotState(redis_server.client())
    results: dict = {}
    bot = driver = None
    try:
        # padpro first, so the process's peak memory after it is padpro's alone.
        timer = Timer()
        driver = login_padpro(sandbox)
        login_seconds = timer.seconds()

        def padpro_account(connection) -> int:
            me = connection.self_info()
            return ensure_account(me.id, me.nick_name).id

        app = migrated_app(f"sqlite:///{folder / 'sync-padpro.db'}", folder / "instance-padpro", redis_server.url)
        results["padpro"] = {**timed_sync(app, driver, padpro_account, state), "login_seconds": login_seconds,
                             "peak_rss_mb_after": proc_memory_mb(os.getpid())["peak_rss_mb"]}
        print("padpro sync:", {k: v for k, v in results["padpro"].items() if k != "steps"}, flush=True)

        timer = Timer()
        bot = login_bot(sandbox, timeout=300)
        bot.puid_map = itchat.IndexedPuidMap(str(folder / "puid.pkl"))  # as libs/wx/connection.create_bot does
        login_seconds = timer.seconds()
        app = migrated_app(f"sqlite:///{folder / 'sync-itchat.db'}", folder / "instance-itchat", redis_server.url)
        results["itchat"] = {**timed_sync(app, bot, lambda b: account_of_bot(b).id, state),
                             "login_seconds": login_seconds}
        print("itchat sync:", {k: v for k, v in results["itchat"].items() if k != "steps"}, flush=True)
    finally:
        if bot is not None:
            stop_bot(bot)
        if driver is not None:
            driver.close()
        stop_sandbox(sandbox)
    return results


def ingest_phase(args, folder: Path, redis_server) -> dict:
    from bench.ingest import run_worker_phases
    from tests.fixtures.sandbox import start_sandbox, stop_sandbox

    sandbox = start_sandbox("--friends", "50", "--groups", "5", "--members", "100", "--mps", "3", "--seed", "3")
    results = {}
    try:
        world = sandbox.world()
        me = world["account"]["nick_name"]
        senders = [{"from": f["nick_name"]} for f in world["friends"][:5]]
        for group in world["groups"][:5]:
            senders.append({"from": next(m for m in group["members"] if m != me), "group": group["name"]})
        for name, env in (("itchat", {"WECHAT_DRIVER": "itchat"}),
                          ("padpro", {"WECHAT_DRIVER": "padpro", "PADPRO_BASE_URL": sandbox.base_url,
                                      "PADPRO_KEY": GATEWAY_KEY})):
            phases = run_worker_phases(args, folder / f"ingest-{name}", sandbox, redis_server, senders, env)
            phases["archive"].pop("worker_log_tail", None)
            results[name] = phases
            sandbox.control("logout", {})  # the next driver logs in afresh
            time.sleep(1)
    finally:
        stop_sandbox(sandbox)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--friends", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--mps", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--max-wait", type=float, default=600.0)
    parser.add_argument("--capacity-messages", type=int, default=10_000)
    parser.add_argument("--capacity-rate", type=float, default=2000.0)
    parser.add_argument("--skip", choices=("sync", "ingest"), action="append", default=[])
    args = parser.parse_args()
    quiet_logs()

    from tests.fixtures.processes import RedisServer

    folder = Path(tempfile.mkdtemp(prefix="bench-drivers-"))
    redis_server = RedisServer(folder / "redis").start()
    result: dict = {"parameters": {k: v for k, v in vars(args).items()}}
    try:
        if "sync" not in args.skip:
            result["sync"] = sync_phase(args, folder, redis_server)
        if "ingest" not in args.skip:
            result["ingest"] = ingest_phase(args, folder, redis_server)
    finally:
        redis_server.stop()
    summary: dict = {}
    if "sync" in result:
        sync = result["sync"]
        summary.update(sync_s={n: sync[n]["seconds"] for n in sync},
                       sync_ratio_padpro_vs_itchat=ratio(sync["padpro"]["seconds"], sync["itchat"]["seconds"]))
    if "ingest" in result:
        ingest = result["ingest"]
        for phase in ("archive", "capacity"):
            if all(phase in ingest[n] for n in ingest):
                summary[f"{phase}_throughput_per_s"] = {n: ingest[n][phase]["throughput_per_s"] for n in ingest}
                summary[f"{phase}_p99_ms"] = {n: ingest[n][phase]["latency"]["p99_ms"] for n in ingest}
                summary[f"{phase}_exactly_once"] = {n: ingest[n][phase]["missing"] == 0 and
                                                    ingest[n][phase]["duplicates"] == 0 for n in ingest}
                summary[f"{phase}_throughput_ratio_padpro_vs_itchat"] = ratio(
                    ingest["padpro"][phase]["throughput_per_s"], ingest["itchat"][phase]["throughput_per_s"])
    result["summary"] = summary
    print(write_result("drivers", result))


if __name__ == "__main__":
    main()
