"""Benchmark 1: sync a large account (10,000 friends, 200 groups x 500 members, 100 MPs) into SQL.

In one process (the one whose peak RSS is reported): log an unmodified wxpy Bot into the sandbox with the indexed
puid map (as drivers/itchat/connection.create_bot does), run the product's run_sync into an empty SQLite database, apply
1 % changes to the sandbox world, run_sync again. After each sync the avatar download that the `wechat.avatars`
task does next is timed on its own (`avatars_after`). Then, on fresh databases and one shared snapshot, the set-based
apply (wechat/sync/store.py) against the row-by-row baseline (bench/naive_sync.py).

    .venv/bin/python -m bench.sync [--friends 10000 --groups 200 --members 500 --mps 100] [--baseline-budget 120]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import tempfile
import time
from pathlib import Path

from bench.common import Timer, loadavg, migrated_app, proc_memory_mb, quiet_logs, ratio, write_result

TARGETS = {"full_sync_s": 20.0, "resync_s": 5.0, "peak_rss_mb": 600.0, "ratio_vs_naive": 20.0}


def wait_until_delivered(sandbox, timeout: float = 300.0) -> float:
    """Until the bot's session has fetched every log entry (the world changes reached itchat)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = sandbox.state()
        if state["session"] and state["session"]["sync_position"] >= state["log_position"]:
            return round(time.monotonic() - started, 2)
        time.sleep(0.2)
    raise TimeoutError("the bot did not fetch the world changes")


def wait_until_handled(bot, timeout: float = 600.0) -> float:
    """Until wxpy has taken every queued message (each world change also sends a note that wxpy processes on its
    own thread, and that work would otherwise compete with the sync being timed)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if bot.core.msgList.qsize() == 0:
            time.sleep(1.0)  # the last one taken is being processed
            if bot.core.msgList.qsize() == 0:
                return round(time.monotonic() - started, 2)
        time.sleep(0.2)
    raise TimeoutError("wxpy did not drain its message queue")


def change_one_percent(sandbox, bot, world: dict, total: int) -> dict:
    """About 1 % of friends + members + MPs: friends removed and added, groups renamed, members leaving.

    Members are picked from the bot's own lists (the world without members keeps this process's memory honest).
    """
    changes = max(1, total // 100)
    removed = [f["nick_name"] for f in world["friends"]][: max(1, changes // 20)]
    for nick in removed:
        sandbox.control("world", {"op": "remove_friend", "nick_name": nick})
    added = [f"新朋友{n}🎉" for n in range(len(removed))]
    for nick in added:
        sandbox.control("world", {"op": "add_friend", "nick_name": nick, "city": "Shenzhen"})
    names = [g["name"] for g in world["groups"]]
    by_name = {group.raw.get("NickName"): group for group in bot.groups()}
    leaving = changes - len(removed) - len(added) - 2
    per_group = max(1, -(-leaving // max(1, len(names))))
    left = 0
    for name in names:
        group = by_name.get(name)
        if group is None:
            continue
        members = [m.get("NickName") for m in group.raw.get("MemberList") or []
                   if m.get("UserName") != bot.self.user_name and "<" not in (m.get("NickName") or "<")]
        for member in members[:per_group]:
            if left >= leaving:
                break
            sandbox.control("world", {"op": "leave_group", "group": name, "nick_name": member})
            left += 1
    renamed = names[:2]
    for number, name in enumerate(renamed):
        sandbox.control("world", {"op": "rename_group", "group": name, "name": f"{name}·改{number}"})
    return {"friends_removed": len(removed), "friends_added": len(added), "groups_renamed": len(renamed),
            "members_left": left, "total": len(removed) + len(added) + len(renamed) + left}


class PhaseClock:
    """Times the steps inside run_sync by wrapping the functions it calls (in this process only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = round(self.seconds.get(label, 0.0) + time.perf_counter() - started, 3)

        setattr(module, name, timed)

    def take(self) -> dict[str, float]:
        taken, self.seconds = self.seconds, {}
        return taken


def install_clock() -> PhaseClock:
    from wechat.bot import snapshot as seam_snapshot
    from wechat.sync import store as sync

    clock = PhaseClock()
    for name in ("refresh", "friends", "mps", "groups"):
        clock.wrap(seam_snapshot, name, f"snapshot.{name}")
    for name in ("sync_people", "sync_groups", "remove_orphans"):
        clock.wrap(sync, name, f"db.{name}")
    return clock


def timed_avatars(bot, account_id: int, state) -> dict:
    """The follow-up task's work after a sync (wechat.avatars): 200 due pictures, timed on its own."""
    from wechat.sync.runner import run_avatars

    timer = Timer()
    fetched = run_avatars(bot, account_id, state)
    return {"seconds": timer.seconds(), "fetched": fetched}


def apply_set_based(account_id: int, snapshot: dict) -> float:
    from wechat.sync import store as sync

    timer = Timer()
    sync.sync_people(account_id, snapshot["friends"], "is_friend")
    sync.sync_people(account_id, snapshot["mps"], "is_mp")
    sync.sync_groups(account_id, snapshot["groups"])
    sync.remove_orphans(account_id)
    return timer.seconds()


def counts(account_id: int) -> dict:
    from sqlalchemy import func, select

    from extensions import db
    from models.wechat import Contact, Group, Membership

    def count(query) -> int:
        return db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()

    return {"friends": count(select(Contact.id).where(Contact.account_id == account_id, Contact.is_friend)),
            "mps": count(select(Contact.id).where(Contact.account_id == account_id, Contact.is_mp)),
            "contacts": count(select(Contact.id).where(Contact.account_id == account_id)),
            "groups": count(select(Group.id).where(Group.account_id == account_id)),
            "memberships": count(select(Membership.id))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--friends", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--mps", type=int, default=100)
    parser.add_argument("--baseline-budget", type=float, default=60.0,
                        help="seconds the row-by-row baseline may run; beyond, its time is extrapolated (0: no cap)")
    parser.add_argument("--profile", metavar="FILE",
                        help="also write a cProfile of the re-sync to FILE (to see where its time goes)")
    args = parser.parse_args()
    quiet_logs()

    from extensions import db
    from tests.fixtures.processes import RedisServer
    from tests.fixtures.sandbox import login_bot, start_sandbox, stop_bot, stop_sandbox
    from wechat.accounts import account_of_bot
    from wechat.bot import snapshot as seam_snapshot
    from wechat.bot.driver_factory import itchat, seam_driver
    from wechat.bot.state import BotState
    from wechat.sync.runner import run_sync

    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    redis_server = RedisServer(folder / "redis").start()
    timer = Timer()
    sandbox = start_sandbox("--friends", str(args.friends), "--groups", str(args.groups), "--members",
                            str(args.members), "--mps", str(args.mps), "--seed", "7",
                            "--saved-groups", "1", ready_timeout=300)  # every group listed: a full sync
    world_seconds = timer.seconds()
    bot = None
    result: dict = {"parameters": vars(args), "targets": TARGETS}
    try:
        world = sandbox.world(members=False)
        entities = len(world["friends"]) + sum(g["member_count"] for g in world["groups"]) + len(world["mps"])
        apps = {name: migrated_app(f"sqlite:///{folder / name}.db", folder / f"instance-{name}", redis_server.url)
                for name in ("product", "set_based", "naive")}
        state = BotState(redis_server.client())

        timer = Timer()
        bot = login_bot(sandbox, timeout=300)
        bot.puid_map = itchat.IndexedPuidMap(str(folder / "puid.pkl"))  # as drivers/itchat/connection.create_bot does
        login_seconds = timer.seconds()

        with apps["product"].app_context():
            account_id = account_of_bot(bot).id
            db.session.commit()
            clock = install_clock()
            load = loadavg()
            timer = Timer()
            full = run_sync(bot, account_id, state, "all")
            full_seconds = timer.seconds()
            full_phases = clock.take()
            full_avatars = timed_avatars(bot, account_id, state)
            memory_full = proc_memory_mb(os.getpid())
            stored_full = counts(account_id)
            result["full_sync"] = {"seconds": full_seconds, "loadavg": load, "phases": full_phases,
                                   "avatars_after": full_avatars, "steps": full, "stored": stored_full,
                                   **memory_full}
            print(f"full sync: {full_seconds}s, {memory_full}, {stored_full}", flush=True)

            changed = change_one_percent(sandbox, bot, world, entities)
            delivered = wait_until_delivered(sandbox)
            handled = wait_until_handled(bot)
            load = loadavg()
            profiler = cProfile.Profile() if args.profile else None
            timer = Timer()
            if profiler:
                profiler.enable()
            again = run_sync(bot, account_id, state, "all")
            resync_seconds = timer.seconds()
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            resync_phases = clock.take()
            resync_avatars = timed_avatars(bot, account_id, state)
            memory_resync = proc_memory_mb(os.getpid())
            result["resync"] = {"seconds": resync_seconds, "loadavg": load, "phases": resync_phases,
                                "avatars_after": resync_avatars, "changes": changed,
                                "changes_delivered_after_s": delivered, "changes_handled_after_s": handled,
                                "steps": again,
                                "stored": counts(account_id), **memory_resync}
            print(f"re-sync after {changed}: {resync_seconds}s", flush=True)
            db.session.remove()

        # One snapshot, applied set-based and row by row into fresh databases.
        timer = Timer()
        driver = seam_driver(bot)
        seam_snapshot.refresh(driver)
        snapshot = {"friends": seam_snapshot.friends(driver), "mps": seam_snapshot.mps(driver),
                    "groups": seam_snapshot.groups(driver)}
        snapshot_seconds = timer.seconds()
        with apps["set_based"].app_context():
            account_id = account_of_bot(bot).id
            db.session.commit()
            load = loadavg()
            set_seconds = apply_set_based(account_id, snapshot)
            set_counts = counts(account_id)
            db.session.remove()
        with apps["naive"].app_context():
            account_id = account_of_bot(bot).id
            db.session.commit()
            naive_load = loadavg()
            naive = naive_sync_run(account_id, snapshot, args.baseline_budget or None)
            db.session.remove()
        if naive["finished"]:
            naive_seconds = naive["seconds"]
        else:  # linear: every row costs the same few indexed queries and one commit
            naive_seconds = round(naive["seconds"] * naive["rows_total"] / max(1, naive["rows_done"]), 1)
        result["apply_only"] = {
            "snapshot_seconds": snapshot_seconds, "rows": naive["rows_total"],
            "set_based": {"seconds": set_seconds, "loadavg": load, "stored": set_counts},
            "naive": {**naive, "estimated_total_seconds": naive_seconds, "loadavg": naive_load},
            "ratio": ratio(naive_seconds, set_seconds),
            "end_to_end_ratio": ratio(snapshot_seconds + naive_seconds, full_seconds),
        }
        result.update({
            "world_build_seconds": world_seconds, "login_seconds": login_seconds, "entities": entities,
            "summary": {"full_sync_s": full_seconds, "resync_s": resync_seconds,
                        "peak_rss_mb": max(memory_full["peak_rss_mb"], memory_resync["peak_rss_mb"]),
                        "naive_apply_s": naive_seconds, "set_based_apply_s": set_seconds,
                        "ratio_vs_naive": ratio(naive_seconds, set_seconds),
                        "end_to_end_ratio_vs_naive": ratio(snapshot_seconds + naive_seconds, full_seconds)},
        })
        print(f"apply only: set-based {set_seconds}s, naive {naive_seconds}s "
              f"({'measured' if naive['finished'] else 'extrapolated from ' + str(naive['rows_done']) + ' rows'})",
              flush=True)
    finally:
        if bot is not None:
            stop_bot(bot)
        stop_sandbox(sandbox)
        redis_server.stop()
    print(write_result("sync", result))


def naive_sync_run(account_id: int, snapshot: dict, budget: float | None) -> dict:
    from bench.naive_sync import naive_sync

    return naive_sync(account_id, snapshot["friends"], snapshot["mps"], snapshot["groups"], budget)


if __name__ == "__main__":
    main()
