"""Benchmark 7 (issue 18): many accounts over several worker processes, one sandbox hosting every account.

    .venv/bin/python -m bench.accounts [--accounts 50 --workers 3 --friends 200 --groups 20 --members 100]
        [--rate 1000 --messages 200] [--baseline-accounts 50] [--database auto|postgresql|sqlite] [--quick]

Each account is a padpro gateway of its own under the sandbox's /a/<name>/ (bench/fleet.py). In one invocation:
1. a worker with no account (WORKER_MAX_ACCOUNTS=0), idle: its RSS is the baseline;
2. `--workers` workers; every account's phone confirms its QR code when it shows one: seconds from each
   confirmation until that account is logged in and its friends and group members are all in the database;
3. idle: each worker's RSS; RSS per account (workers' RSS / accounts, and over the 0-account baseline);
   then one message per account: an account's first message after its login builds its chat directory (a full
   listing through the gateway), so its latency is reported apart (`warmup`);
4. load: `--messages` per account (half from a friend, half in a group), offered at `--rate` msg/s in all over
   the accounts: aggregate archive rate (stored / (last stored − first injected)), p99 injection → stored row,
   rows vs distinct server MsgIds; the CPU each process used (which one is the bottleneck); then the same load
   offered at HEADROOM × `--rate` (no target: the 3 workers' ceiling on this host, how far the target is from it);
5. the same load again, and a third into it the worker holding the most accounts is SIGKILLed: seconds until
   every one of its accounts runs (logged in) on another worker, and every message stored exactly once;
6. a new worker: seconds until it holds a fair share (what the others leave when none holds more than
   ceil(accounts / live workers), the placement rule's bound: 50 over 3, 16), then a last round that
   every account must archive (all rounds exactly once);
7. baseline: a fresh fleet (`--baseline-accounts`) with ONE worker, phases 2 and 4 (with its headroom round) only:
   the ratio of the rates (at `--rate` both may keep up; the headroom rounds' ratio then compares the ceilings).
The database is PostgreSQL when it answers on 127.0.0.1:5432 (`--database auto`), else SQLite.
`--quick` (what `make bench` runs): 10 accounts over 3 workers, 200 msg/s; the issue's scale is the default.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import loadavg, proc_memory_mb, quiet_logs, ratio, write_result
from bench.fleet import Fleet, cpu_share, postgres_up
from bench.ingest import summarize

TARGETS = {"logged_in_and_synced_s": 120.0, "rss_per_account_mb": 60.0, "throughput_per_s": 1000.0,
           "p99_latency_ms": 2000.0, "takeover_s": 30.0, "new_worker_share_s": 60.0}
SKIPPABLE = ("worker_with_no_account", "memory", "load", "headroom", "sigkill", "new_worker", "after")
HEADROOM = 2.0  # the headroom round offers this many times --rate: how far the 3 workers are from their ceiling
QUICK = {"accounts": 10, "baseline_accounts": 10, "rate": 200.0, "messages": 100}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.accounts")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--friends", type=int, default=200)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages offered per second, all accounts")
    parser.add_argument("--messages", type=int, default=200, help="messages per account in each load round")
    parser.add_argument("--baseline-accounts", type=int, default=None, help="accounts of the 1-worker pass "
                        "(default: --accounts; 0 skips it)")
    parser.add_argument("--database", choices=("auto", "postgresql", "sqlite"), default="auto")
    parser.add_argument("--lease-ttl", type=float, default=15.0, help="LISTENER_LEASE_TTL (the product's default)")
    parser.add_argument("--placement-interval", type=float, default=5.0, help="PLACEMENT_INTERVAL (default too)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before the RSS is read")
    parser.add_argument("--max-wait", type=float, default=600.0, help="seconds a phase may take before it fails")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds without a new stored message after which the rest counts as missing")
    parser.add_argument("--skip", action="append", default=[], choices=SKIPPABLE,
                        help="leave a phase out (the smoke test does, to stay fast)")
    parser.add_argument("--quick", action="store_true", help=f"a smaller run: {QUICK}")
    parser.add_argument("--no-write", action="store_true", help="print the result, do not write bench/results")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.baseline_accounts is None:
        args.baseline_accounts = args.accounts
    if args.database == "auto":
        args.database = "postgresql" if postgres_up() else "sqlite"
    return args


def wait_until(predicate, timeout: float, what, interval: float = 0.5):
    """Poll until predicate() is truthy; `what` (text, or a function giving it) says what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def start_fleet(args, accounts: int, folder: Path) -> Fleet:
    world = {"friends": args.friends, "groups": args.groups, "members": args.members}
    # HTTP sync every 5 s: the gateway's safety net (drivers/padpro/inbox.py) runs often enough that a takeover
    # is not waiting on it; the lease and placement settings are the product's defaults unless given.
    settings = {"PADPRO_HTTP_SYNC_SECONDS": "5", "PLACEMENT_INTERVAL": str(args.placement_interval),
                "LISTENER_LEASE_TTL": str(args.lease_ttl), "SEND_DELAY_MIN": "0.05", "SEND_DELAY_MAX": "0.1"}
    return Fleet(folder, accounts, world, args.database, settings)


def start_workers(fleet: Fleet, count: int, accounts: int) -> list[str]:
    # Cap: every account fits on the workers left after one is killed (the product's default cap is 20);
    # each listener holds a gevent slot for its lifetime, the rest is for tasks.
    return [fleet.start_worker(cap=accounts, concurrency=accounts + 30) for _ in range(count)]


def idle_worker_rss(fleet: Fleet, idle: float, max_wait: float) -> dict:
    """A worker that takes no account (cap 0), `idle` seconds after it is ready: what a worker costs before any
    account."""
    name = fleet.start_worker(cap=0, concurrency=30)
    wait_until(lambda: f"{name}@" in fleet.workers[name].log() and " ready." in fleet.workers[name].log(),
               max_wait, f"{name} ready")
    time.sleep(idle)
    memory = proc_memory_mb(fleet.pid(name))
    fleet.stop_worker(name)
    return memory


def login_phase(fleet: Fleet, max_wait: float) -> dict:
    """Confirm every QR code shown (again if a handover shows a new one) until all are logged in and synced."""
    confirmed: dict[str, float] = {}
    synced: dict[str, float] = {}
    started = time.monotonic()
    load = loadavg()
    while len(synced) < len(fleet.slots):
        if time.monotonic() - started > max_wait:
            raise TimeoutError(f"login+sync: {len(synced)}/{len(fleet.slots)} after {max_wait:.0f}s "
                               f"({fleet.states()})")
        states = fleet.states()
        for slot, state in states.items():
            if state == "waiting" and fleet.scan(slot):
                confirmed[slot] = time.monotonic()
                synced.pop(slot, None)
        now = time.monotonic()
        for slot in fleet.synced():
            if slot in confirmed and states.get(slot) == "logged_in":
                synced.setdefault(slot, now)
        time.sleep(0.5)
    spans = sorted(synced[slot] - confirmed[slot] for slot in fleet.slots)
    return {"accounts": len(fleet.slots), "loadavg": load,
            "max_confirmation_to_synced_s": round(spans[-1], 1),
            "median_confirmation_to_synced_s": round(spans[len(spans) // 2], 1),
            "last_confirmation_to_all_synced_s": round(max(synced.values()) - max(confirmed.values()), 1),
            "first_confirmation_to_all_synced_s": round(max(synced.values()) - min(confirmed.values()), 1),
            "workers_started_to_all_synced_s": round(max(synced.values()) - started, 1)}


def memory_phase(fleet: Fleet, workers: list[str], baseline: dict, idle: float) -> dict:
    time.sleep(idle)
    holders = fleet.holders()
    per_worker = {name: {"accounts": len(fleet.held_by(name, holders)), **proc_memory_mb(fleet.pid(name))}
                  for name in workers}
    total = sum(figures["rss_mb"] for figures in per_worker.values())
    accounts = len(fleet.slots)
    return {"workers": per_worker, "worker_with_no_account": baseline, "rss_total_mb": round(total, 1),
            "rss_per_account_mb": round(total / accounts, 1),
            "rss_per_account_over_baseline_mb": round((total - len(workers) * baseline["rss_mb"]) / accounts, 1)
            if baseline else None,
            "loadavg": loadavg()}


class Load:
    """Messages for every account, offered at `rate` in all, one burst per account every second."""

    def __init__(self, fleet: Fleet, tag: str, rate: float, per_account: int) -> None:
        self.fleet, self.tag, self.per_account = fleet, tag, per_account
        self.burst = max(1, round(rate / len(fleet.slots)))
        self.injected: dict[str, float] = {}  # server MsgId → when its burst was injected
        self.slot_of: dict[str, str] = {}
        self.senders = {slot: self._senders(slot) for slot in fleet.slots}

    def _senders(self, slot: str) -> list[dict]:
        world = self.fleet.control(slot, "world")
        me = world["account"]["nick_name"]
        group = world["groups"][0]
        return [{"from": world["friends"][0]["nick_name"]},
                {"from": next(m for m in group["members"] if m != me), "group": group["name"]}]

    def _inject(self, slot: str, number: int, count: int) -> None:
        started = time.time()
        answer = self.fleet.control(slot, "messages", {
            **self.senders[slot][number % 2], "type": "text", "count": count,
            "content": f"{self.tag} {slot} burst {number} message {{n}}"})
        for msg_id in answer["msg_ids"]:
            self.injected[msg_id] = started
            self.slot_of[msg_id] = slot

    def run(self, on_tick=None) -> None:
        bursts = math.ceil(self.per_account / self.burst)
        next_at = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            for number in range(bursts):
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += 1.0
                count = min(self.burst, self.per_account - number * self.burst)
                list(pool.map(lambda slot, n=number, c=count: self._inject(slot, n, c), self.fleet.slots))
                if on_tick:
                    on_tick(number, bursts)

    def wait_stored(self, max_wait: float, settle: float) -> dict:
        """Until every message is stored, or nothing more was stored for `settle` seconds (the rest is reported
        missing: the gateway's HTTP safety net runs every 5 s, so what has not come by then will not)."""
        expected = len(self.injected)
        deadline = time.monotonic() + max_wait
        last, last_change = -1, time.monotonic()
        while True:
            count, now = self.fleet.stored_count(self.tag), time.monotonic()
            if count >= expected or now > deadline:
                break
            if count != last:
                last, last_change = count, now
            elif now - last_change > settle:
                break
            time.sleep(0.5)
        time.sleep(1)  # a late second copy would show now
        rows = self.fleet.stored(self.tag)
        self.missing = set(self.injected) - {msg_id for msg_id, _ in rows}
        return summarize(self.injected, rows, loadavg())


def warmup_phase(fleet: Fleet, max_wait: float, settle: float) -> dict:
    """One message per account, all at once, before the load: an account's first message after its login pays
    for the chat directory (wechat/bot/seam.py SeamDirectory: the driver's full contact and group listing, apart from
    the sync's), so it is measured on its own and kept out of the steady-state figures."""
    load = Load(fleet, "warmup", len(fleet.slots), 1)
    load.run()
    return load.wait_stored(max_wait, settle)


def load_phase(fleet: Fleet, tag: str, args, accounts: int) -> dict:
    load = Load(fleet, tag, args.rate, args.messages)
    before, started, start_load = fleet.cpu(), time.monotonic(), loadavg()
    load.run()
    injected_in = time.monotonic() - started  # bursts × 1 s when the injection kept its pace
    figures = load.wait_stored(args.max_wait, args.settle)
    seconds = time.monotonic() - started
    shares = cpu_share(before, fleet.cpu(), seconds)
    # CPU per stored message: the product's (workers, Redis, the database), and with the stand-ins for WeChat (the
    # sandbox) and the phones (this process); what two cores could carry if nothing else ran is 2,000 / the latter.
    def per_message(names) -> float:
        return round(sum(shares[n]["cpu"] for n in names) * seconds * 1000 / max(1, figures["stored"]), 2)

    product = per_message(n for n in shares if n not in ("sandbox", "benchmark"))
    everything = per_message(shares)
    figures.update(offered_per_s=load.burst * accounts, injection_seconds=round(injected_in, 1),
                   loadavg=start_load, loadavg_end=loadavg(),
                   processes=shares, product_cpu_ms_per_message=product, all_cpu_ms_per_message=everything,
                   two_cores_ceiling_per_s=round(2000 / everything) if everything else None)
    return figures


def headroom_phase(fleet: Fleet, args, accounts: int) -> dict:
    """The load round again at HEADROOM times the rate: how far the workers are from their ceiling."""
    return load_phase(fleet, "headroom", argparse.Namespace(**{**vars(args), "rate": args.rate * HEADROOM}), accounts)


def takeover_phase(fleet: Fleet, args) -> dict:
    """A load round; a third into it, SIGKILL of the worker holding the most accounts."""
    load = Load(fleet, "kill", args.rate, args.messages)
    killed: dict = {}
    killed_event = threading.Event()

    def on_tick(number: int, bursts: int) -> None:
        if killed_event.is_set() or number < bursts // 3:
            return
        holders = fleet.holders()
        victim = max(fleet.alive(), key=lambda name: len(fleet.held_by(name, holders)))
        killed.update(victim=victim, accounts=fleet.held_by(victim, holders), loadavg=loadavg())
        fleet.kill(victim)
        killed["at"] = time.monotonic()
        killed_event.set()

    injector = threading.Thread(target=load.run, kwargs={"on_tick": on_tick}, daemon=True)
    injector.start()
    if not killed_event.wait(args.max_wait):
        raise TimeoutError("the load never reached the kill")
    victim, moved = killed["victim"], killed["accounts"]

    def moved_and_running():
        holders, states, live = fleet.holders(), fleet.scan_waiting(), tuple(f"{n}@" for n in fleet.alive())
        return all((holders[slot] or "").startswith(live) and states[slot] == "logged_in" for slot in moved)

    wait_until(moved_and_running, args.max_wait, lambda: f"{victim}'s accounts {moved} running elsewhere "
               f"({fleet.holders()}, {fleet.states()})", interval=0.25)
    takeover = time.monotonic() - killed["at"]
    injector.join()
    figures = load.wait_stored(args.max_wait, args.settle)
    # Where the missing ones were: a gateway pushes each message once, so what the victim had read from its
    # WebSocket (or what sat in its socket) but not yet written to the event spool dies with it.
    at_kill = time.time() - (time.monotonic() - killed["at"])
    # The database's word that the moved accounts run again: the first message of each, injected after the kill,
    # stored (its backlog drained by the new holder).
    first_after: dict[str, float] = {}
    for msg_id, stored in fleet.stored(load.tag):
        slot = load.slot_of.get(msg_id)
        if slot in moved and load.injected[msg_id] >= at_kill:
            first_after[slot] = min(stored, first_after.get(slot, stored))
    resumed = round(max(first_after.values()) - at_kill, 1) if len(first_after) == len(moved) else None
    missing = {"victim_accounts_injected_before_kill": 0, "victim_accounts_injected_after_kill": 0,
               "other_accounts": 0}
    for msg_id in load.missing:
        if load.slot_of[msg_id] not in moved:
            missing["other_accounts"] += 1
        else:
            before = load.injected[msg_id] < at_kill
            missing[f"victim_accounts_injected_{'before' if before else 'after'}_kill"] += 1
    return {"victim": victim, "victim_accounts": len(moved), "loadavg_at_kill": killed["loadavg"],
            "takeover_s": round(takeover, 1), "archive_resumed_s": resumed, "load": figures,
            "missing_where": missing, "qr_scans_after_kill": dict(fleet.scans)}


def newcomer_phase(fleet: Fleet, args, accounts: int) -> dict:
    name = fleet.start_worker(cap=accounts, concurrency=accounts + 30)
    started, load = time.monotonic(), loadavg()
    # The placement rule (wechat/workers/placement.py) lets no worker hold more than ceil(N/W) while another has
    # room, so the newcomer's fair share is what the others leave at that bound (50 over 3: 16).
    live = len(fleet.alive())
    share = max(1, len(fleet.slots) - (live - 1) * math.ceil(len(fleet.slots) / live))

    def settled():
        holders, states, live = fleet.holders(), fleet.scan_waiting(), tuple(f"{n}@" for n in fleet.alive())
        return len(fleet.held_by(name, holders)) >= share and all(
            (holders[slot] or "").startswith(live) and states[slot] == "logged_in" for slot in fleet.slots)

    wait_until(settled, args.max_wait, lambda: f"{name} holding {share} accounts ({fleet.holders()}, "
               f"{fleet.states()})", interval=0.25)
    seconds = time.monotonic() - started
    holders = fleet.holders()
    return {"worker": name, "fair_share": share, "seconds": round(seconds, 1), "loadavg": load,
            "placement": {worker: len(fleet.held_by(worker, holders)) for worker in fleet.alive()}}


class Phases:
    """Runs the phases of a pass in order, keeps each one's figures and wall time, prints them as they come."""

    def __init__(self, label: str, skip: list[str]) -> None:
        self.label, self.skip = label, skip
        self.figures: dict = {"phase_seconds": {}}

    def run(self, name: str, phase, *args):
        if name in self.skip:
            return None
        started = time.monotonic()
        self.figures[name] = phase(*args)
        self.figures["phase_seconds"][name] = round(time.monotonic() - started, 1)
        print(f"{self.label} {name}:", self.figures[name], flush=True)
        return self.figures[name]


def main_pass(args, folder: Path) -> dict:
    fleet = start_fleet(args, args.accounts, folder)
    phases = Phases("main", args.skip)
    phases.figures["database"] = args.database
    try:
        idle = phases.run("worker_with_no_account", idle_worker_rss, fleet, args.idle, args.max_wait) or {}
        workers = start_workers(fleet, args.workers, args.accounts)
        phases.run("login", login_phase, fleet, args.max_wait)
        phases.run("warmup", warmup_phase, fleet, args.max_wait, args.settle)
        phases.run("memory", memory_phase, fleet, workers, idle, args.idle)
        phases.run("load", load_phase, fleet, "load", args, args.accounts)
        phases.run("headroom", headroom_phase, fleet, args, args.accounts)
        phases.run("sigkill", takeover_phase, fleet, args)
        phases.run("new_worker", newcomer_phase, fleet, args, args.accounts)
        phases.run("after", load_phase, fleet, "after", argparse.Namespace(**{**vars(args), "messages": 10}),
                   args.accounts)
        phases.figures["all_rounds_rows_distinct"] = list(
            fleet.db.rows("SELECT count(*), count(DISTINCT msg_id) FROM messages")[0])
    finally:
        phases.figures["logs_tail"] = {name: worker.log()[-600:] for name, worker in fleet.workers.items()}
        fleet.close()
    return phases.figures


def baseline_pass(args, folder: Path) -> dict:
    fleet = start_fleet(args, args.baseline_accounts, folder)
    phases = Phases("baseline (1 worker)", [name for name in args.skip if name == "headroom"])
    phases.figures.update(accounts=args.baseline_accounts, workers=1)
    try:
        start_workers(fleet, 1, args.baseline_accounts)
        phases.run("login", login_phase, fleet, args.max_wait)
        phases.run("warmup", warmup_phase, fleet, args.max_wait, args.settle)
        phases.run("load", load_phase, fleet, "load", args, args.baseline_accounts)
        phases.run("headroom", headroom_phase, fleet, args, args.baseline_accounts)
        phases.figures["worker_memory"] = proc_memory_mb(fleet.pid("bench0"))
    finally:
        fleet.close()
    return phases.figures


def summary(main: dict, baseline: dict | None) -> dict:
    """The figures the issue asks for, each beside its target in TARGETS (None: that phase was skipped)."""
    load, kill, memory = main.get("load"), main.get("sigkill"), main.get("memory")
    headroom = main.get("headroom")
    rows, distinct = main["all_rounds_rows_distinct"]
    rounds = [phase for phase in (main.get("warmup"), load, headroom, kill and kill["load"], main.get("after"))
              if phase]
    figures = {
        "database": main["database"],
        "logged_in_and_synced_s": main["login"]["max_confirmation_to_synced_s"],
        "rss_per_account_mb": memory and memory["rss_per_account_mb"],
        "rss_per_account_over_baseline_mb": memory and memory["rss_per_account_over_baseline_mb"],
        "worker_with_no_account_rss_mb": main.get("worker_with_no_account", {}).get("rss_mb"),
        "first_message_after_login_p99_ms": main.get("warmup", {}).get("latency", {}).get("p99_ms"),
        "throughput_per_s": load and load["throughput_per_s"], "p99_latency_ms": load and load["latency"]["p99_ms"],
        "exactly_once": load and load["missing"] == 0 and load["duplicates"] == 0,
        "headroom_offered_per_s": headroom and headroom["offered_per_s"],
        "headroom_throughput_per_s": headroom and headroom["throughput_per_s"],
        "headroom_p99_latency_ms": headroom and headroom["latency"]["p99_ms"],
        "headroom_exactly_once": headroom and headroom["missing"] == 0 and headroom["duplicates"] == 0,
        "takeover_s": kill and kill["takeover_s"], "archive_resumed_s": kill and kill["archive_resumed_s"],
        "sigkill_round_missing_duplicates": kill and [kill["load"]["missing"], kill["load"]["duplicates"]],
        "new_worker_share_s": main.get("new_worker", {}).get("seconds"),
        "all_rounds_rows_distinct": [rows, distinct],
        "all_rounds_exactly_once": rows == distinct and not any(phase["missing"] for phase in rounds),
    }
    if baseline and load:
        figures["baseline_one_worker_throughput_per_s"] = baseline["load"]["throughput_per_s"]
        figures["baseline_one_worker_p99_latency_ms"] = baseline["load"]["latency"]["p99_ms"]
        figures["throughput_ratio_vs_one_worker"] = ratio(load["throughput_per_s"],
                                                          baseline["load"]["throughput_per_s"])
    if baseline and headroom and baseline.get("headroom"):  # when both keep up at --rate, this ratio tells more
        figures["baseline_one_worker_headroom_throughput_per_s"] = baseline["headroom"]["throughput_per_s"]
        figures["baseline_one_worker_headroom_p99_latency_ms"] = baseline["headroom"]["latency"]["p99_ms"]
        figures["headroom_ratio_vs_one_worker"] = ratio(headroom["throughput_per_s"],
                                                        baseline["headroom"]["throughput_per_s"])
    return figures


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet_logs()
    folder = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    result: dict = {"parameters": vars(args), "targets": TARGETS, "loadavg_start": loadavg()}
    result["main"] = main_pass(args, folder / "main")
    if args.baseline_accounts:
        result["baseline_one_worker"] = baseline_pass(args, folder / "baseline")
    result["loadavg_end"] = loadavg()
    result["summary"] = summary(result["main"], result.get("baseline_one_worker"))
    print("summary:", result["summary"], flush=True)
    if not args.no_write:
        print(write_result("accounts", result))
    # Unexplained losses keep the logs: any in a round without a kill, or at the kill beyond the victim's in-flight.
    main, one = result["main"], result.get("baseline_one_worker") or {}
    where = (main.get("sigkill") or {}).get("missing_where", {})
    lost = any(phase.get("missing") for phase in (main.get("warmup"), main.get("load"), main.get("headroom"),
                                                  main.get("after"), one.get("warmup"), one.get("load"),
                                                  one.get("headroom")) if phase) or \
        where.get("victim_accounts_injected_after_kill") or where.get("other_accounts")
    if lost:
        print(f"messages missing: the workers' logs are kept in {folder}", flush=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)  # also kept when a phase failed
    return result


if __name__ == "__main__":
    main()
