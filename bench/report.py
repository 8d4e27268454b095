"""Write the figures of bench/results/*.json into docs/PERFORMANCE.md (between the `figures` markers)."""

from __future__ import annotations

import json
import re

from bench.common import RESULTS, ROOT

DOC = ROOT / "docs" / "PERFORMANCE.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
NAMES = ("sync", "ingest", "sse", "api", "insights", "drivers", "accounts")  # bench/run.py BENCHMARKS, in order


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _verdict(value, target, lower_is_better: bool = True) -> str:
    if value is None or target is None:
        return "–"
    met = value <= target if lower_is_better else value >= target
    return "met" if met else f"**missed** ({value / target:.1f}× target)" if lower_is_better else \
        f"**missed** ({target / max(value, 1e-9):.1f}× short)"


def ratio_text(value: float, baseline: float) -> str:
    return f"{value / max(baseline, 1e-9):.2f}×"


def _row(*cells) -> str:
    return "| " + " | ".join("–" if cell is None else str(cell) for cell in cells) + " |"


def rows() -> list[str]:
    out = ["| benchmark | figure | target | measured | baseline (same run) | ratio | verdict | load avg (1 min) |",
           "|---|---|---|---|---|---|---|---|"]
    sync = _load("sync")
    if sync:
        s, full, again = sync["summary"], sync["full_sync"], sync["resync"]
        naive = sync["apply_only"]["naive"]
        how = "measured" if naive["finished"] else f"extrapolated from {naive['rows_done']:,} rows"
        out += [
            _row("sync", "full sync into an empty DB (run_sync)", "≤ 20 s", f"{s['full_sync_s']} s",
                 f"row-by-row: {s['naive_apply_s']} s apply ({how}) + {sync['apply_only']['snapshot_seconds']} s "
                 "snapshot", f"{s['end_to_end_ratio_vs_naive']}×", _verdict(s["full_sync_s"], 20),
                 full["loadavg"][0]),
            _row("sync", "DB apply only, same snapshot", "≥ 20× faster", f"{s['set_based_apply_s']} s",
                 f"{s['naive_apply_s']} s ({how})", f"{s['ratio_vs_naive']}×",
                 _verdict(s["ratio_vs_naive"], 20, lower_is_better=False),
                 sync["apply_only"]["set_based"]["loadavg"][0]),
            _row("sync", f"re-sync after 1 % changes ({again['changes']['total']:,})", "≤ 5 s", f"{s['resync_s']} s",
                 f"full sync {s['full_sync_s']} s", f"{round(s['full_sync_s'] / s['resync_s'], 2)}×",
                 _verdict(s["resync_s"], 5), again["loadavg"][0]),
            _row("sync", "peak RSS of the syncing process", "≤ 600 MB", f"{s['peak_rss_mb']} MB", None, None,
                 _verdict(s["peak_rss_mb"], 600), again["loadavg"][0]),
        ]
        for label, run in (("full sync", full), ("re-sync", again)):
            if "avatars_after" in run:  # the wechat.avatars task that follows each sync
                after = run["avatars_after"]
                out.append(_row("sync", f"then avatars, own task after the {label} ({after['fetched']} fetched)", "–",
                                f"{after['seconds']} s", None, None, "–", run["loadavg"][0]))
    ingest = _load("ingest")
    if ingest:
        s, archive, noop = ingest["summary"], ingest["archive"], ingest["noop_upper_bound"]
        held = ingest.get("noop_held_bot_upper_bound")
        offered = ingest["parameters"]["rate"]
        bounds = f"no-op handler: unmodified wxpy {s['noop_throughput_per_s']} msg/s" + (
            f", the worker's bot class {held['throughput_per_s']} msg/s" if held else "")
        out += [
            _row("ingest", f"archive throughput, {offered:,.0f}/s offered "
                 f"({archive['stored']:,}/{archive['messages']:,} stored)", "≥ 500 msg/s",
                 f"{s['throughput_per_s']} msg/s{' (kept up)' if s['throughput_per_s'] >= 0.95 * offered else ''}",
                 bounds,
                 f"{ratio_text(s['throughput_per_s'], s['noop_throughput_per_s'])} of unmodified wxpy",
                 _verdict(s["throughput_per_s"], 500, lower_is_better=False), archive["loadavg"][0]),
            _row("ingest", "injection → stored row, p99", "≤ 2 s", f"{s['p99_latency_ms']} ms", None, None,
                 _verdict(s["p99_latency_ms"], 2000), archive["loadavg"][0]),
            _row("ingest", "stored exactly once", "all, once", f"{archive['distinct_stored']:,} distinct, "
                 f"{archive['duplicates']} duplicates, {archive['missing']} missing", None, None,
                 "met" if s["exactly_once"] else "**missed**", noop["loadavg"][0]),
        ]
        capacity = ingest.get("capacity")
        if capacity:
            out.append(_row("ingest", f"headroom: {capacity['offered_per_s']:,.0f}/s offered "
                            f"({capacity['stored']:,}/{capacity['messages']:,} stored)", "–",
                            f"{capacity['throughput_per_s']} msg/s, p99 {capacity['latency']['p99_ms']} ms", bounds,
                            f"{ratio_text(capacity['throughput_per_s'], s['noop_throughput_per_s'])} of unmodified "
                            "wxpy", "–", capacity["loadavg"][0]))
    sse = _load("sse")
    if sse:
        s, loaded = sse["summary"], sse["fan_out_loaded"]
        out += [
            _row("sse", f"event → {loaded['connected']:,} clients, p99", "≤ 1 s", f"{s['delivery_p99_ms']} ms",
                 f"10 clients: {s['delivery_p99_ms_10_clients']} ms",
                 f"{round(s['delivery_p99_ms'] / max(s['delivery_p99_ms_10_clients'], 0.1), 1)}×",
                 _verdict(s["delivery_p99_ms"], 1000), loaded["loadavg"][0]),
            _row("sse", "web process RSS (peak)", "≤ 300 MB", f"{s['web_rss_mb']} MB",
                 f"idle: {s['web_rss_mb_idle']} MB", None, _verdict(s["web_rss_mb"], 300), loaded["loadavg"][0]),
            _row("sse", "/api/contacts?q= p95 while connected", "≤ 100 ms", f"{s['contacts_p95_ms']} ms",
                 f"no SSE client: {s['contacts_p95_ms_idle']} ms", f"{s['contacts_slowdown']}×",
                 _verdict(s["contacts_p95_ms"], 100), loaded["loadavg"][0]),
        ]
    api = _load("api")
    if api:
        for engine, figures in api["engines"].items():
            if "head" not in figures:
                out.append(_row("api", engine, None, figures.get("skipped"), None, None, "–", None))
                continue
            head, tenth = figures["head"], figures["tenth_of_the_data"]["head"]
            for kind, label, target in (("contacts", "contact search p95 (worst query)", 50),
                                        ("messages", "message list p95 (worst filter)", 200)):
                key = f"{'contacts_search' if kind == 'contacts' else 'messages_list'}_p95_ms"
                value, small = head[key], tenth[key]
                before = figures.get("baseline_0002", {}).get(key)
                older = f"; schema before 0003: {before} ms" if before is not None else ""
                worst = max(head[kind], key=lambda name, k=kind: head[k][name]["p95_ms"])
                out.append(_row(f"api ({engine})", f"{label}: `{worst}`", f"≤ {target} ms", f"{value} ms",
                                f"a tenth of the data: {small} ms{older}", f"{round(value / max(small, 0.1), 1)}×",
                                _verdict(value, target), head["loadavg"][0]))
    out += insights_rows(_load("insights"))
    out += drivers_rows(_load("drivers"))
    out += accounts_rows(_load("accounts"))
    return out


def accounts_rows(accounts: dict | None) -> list[str]:
    """bench/accounts.py: N accounts over W workers on one sandbox (padpro); baseline: the same load on 1 worker."""
    if not accounts:
        return []
    p, s, main = accounts["parameters"], accounts["summary"], accounts["main"]
    one = accounts.get("baseline_one_worker")
    scale = f"{p['accounts']} accounts × ({p['friends']} friends, {p['groups']} groups × {p['members']})"
    name = f"accounts ({s['database']}, {p['workers']} workers)"
    out = [_row(name, f"all logged in and synced, QR confirmation → synced, worst account ({scale})", "≤ 120 s",
                f"{s['logged_in_and_synced_s']} s",
                f"1 worker, {one['accounts']} accounts: {one['login']['max_confirmation_to_synced_s']} s" if one
                else None, None, _verdict(s["logged_in_and_synced_s"], 120), main["login"]["loadavg"][0])]
    memory = main.get("memory")
    if memory:
        workers = memory["workers"].values()
        out.append(_row(name, "RSS per idle account (workers' RSS / accounts)", "≤ 60 MB",
                        f"{s['rss_per_account_mb']} MB ({memory['rss_total_mb']:,} MB / {p['accounts']}; "
                        f"{s['rss_per_account_over_baseline_mb']} MB over the 0-account worker)",
                        f"a worker with 0 accounts: {s['worker_with_no_account_rss_mb']} MB; workers: "
                        + ", ".join(f"{w['rss_mb']} MB ({w['accounts']})" for w in workers), None,
                        _verdict(s["rss_per_account_mb"], 60), memory["loadavg"][0]))
    load = main.get("load")
    if load:
        once = "exactly once" if s["exactly_once"] else f"**{load['missing']} missing, {load['duplicates']} twice**"
        rate = None
        if one:
            lost = one["load"]["missing"] + one["load"]["duplicates"]
            rate = f"1 worker ({one['accounts']} accounts): {s['baseline_one_worker_throughput_per_s']} msg/s" + (
                f" (**{one['load']['missing']:,} missing, {one['load']['duplicates']} twice**, no kill)" if lost
                else "")
        out += [
            _row(name, f"aggregate archive rate, {load['offered_per_s']:,}/s offered "
                 f"({load['stored']:,}/{load['messages']:,} stored, {once}; all processes "
                 f"{load['all_cpu_ms_per_message']} ms CPU per message)", "≥ 1,000 msg/s",
                 f"{s['throughput_per_s']} msg/s", rate,
                 f"{s['throughput_ratio_vs_one_worker']}× of 1 worker" if one else None,
                 _verdict(s["throughput_per_s"], 1000, lower_is_better=False), load["loadavg"][0]),
            _row(name, "injection → stored row, p99", "≤ 2 s", f"{s['p99_latency_ms']} ms",
                 f"1 worker: {s['baseline_one_worker_p99_latency_ms']} ms" if one else None, None,
                 _verdict(s["p99_latency_ms"], 2000), load["loadavg"][0]),
        ]
    headroom = main.get("headroom")
    if headroom:
        once = "exactly once" if s["headroom_exactly_once"] else \
            f"**{headroom['missing']} missing, {headroom['duplicates']} twice**"
        out.append(_row(name, f"headroom: {headroom['offered_per_s']:,}/s offered ({headroom['stored']:,}/"
                        f"{headroom['messages']:,} stored, {once}; all processes "
                        f"{headroom['all_cpu_ms_per_message']} ms CPU per message)", "–",
                        f"{s['headroom_throughput_per_s']} msg/s, p99 {s['headroom_p99_latency_ms']} ms",
                        f"1 worker: {s['baseline_one_worker_headroom_throughput_per_s']} msg/s, p99 "
                        f"{s['baseline_one_worker_headroom_p99_latency_ms']} ms"
                        if s.get("headroom_ratio_vs_one_worker") else None,
                        f"{s['headroom_ratio_vs_one_worker']}× of 1 worker" if s.get("headroom_ratio_vs_one_worker")
                        else None, "–", headroom["loadavg"][0]))
    warmup = main.get("warmup")
    if warmup:
        out.append(_row(name, "an account's first message after its login (builds its chat directory), p99", "–",
                        f"{s['first_message_after_login_p99_ms']} ms", None, None, "–", warmup["loadavg"][0]))
    kill = main.get("sigkill")
    if kill:
        lost, twice = s["sigkill_round_missing_duplicates"]
        where = kill["missing_where"]
        outcome = "nothing lost, nothing twice" if not lost and not twice else \
            f"**{lost} lost** ({where['victim_accounts_injected_before_kill']} pushed to the victim before the " \
            f"kill), {twice} twice"
        out.append(_row(name, f"SIGKILL of a worker ({kill['victim_accounts']} accounts) under load → its accounts "
                        f"logged in elsewhere ({outcome})", "≤ 30 s", f"{s['takeover_s']} s",
                        f"archive resumed (first post-kill message stored) after {s['archive_resumed_s']} s", None,
                        _verdict(s["takeover_s"], 30), kill["loadavg_at_kill"][0]))
    new = main.get("new_worker")
    if new:
        out.append(_row(name, f"a new worker holds a fair share ({new['fair_share']} accounts)", "≤ 60 s",
                        f"{s['new_worker_share_s']} s", "placement after: " + ", ".join(
                            f"{w} {n}" for w, n in new["placement"].items()), None,
                        _verdict(s["new_worker_share_s"], 60), new["loadavg"][0]))
    return out


def drivers_rows(drivers: dict | None) -> list[str]:
    """bench/drivers.py: padpro (the gateway face) beside itchat, same run, same sandbox; ratio padpro / itchat."""
    if not drivers:
        return []
    out, p = [], drivers["parameters"]
    sync = drivers.get("sync")
    if sync:
        world = f"{p['friends']:,} friends, {p['groups']} groups × {p['members']}, {p['mps']} MPs"
        itchat, padpro = sync["itchat"], sync["padpro"]
        out.append(_row("drivers", f"padpro full sync ({world}; {padpro['stored']['memberships']:,} memberships)",
                        "–", f"{padpro['seconds']} s", f"itchat: {itchat['seconds']} s",
                        f"{ratio_text(padpro['seconds'], itchat['seconds'])} the time", "–", padpro["loadavg"][0]))
    ingest = drivers.get("ingest")
    if ingest:
        for phase in ("archive", "capacity"):
            if not all(phase in ingest[name] for name in ("itchat", "padpro")):
                continue
            itchat, padpro = ingest["itchat"][phase], ingest["padpro"][phase]
            once = "exactly once" if padpro["missing"] == 0 and padpro["duplicates"] == 0 else \
                f"**{padpro['missing']} missing, {padpro['duplicates']} duplicates**"
            out.append(_row("drivers", f"padpro ingest, {padpro['offered_per_s']:,.0f}/s offered "
                            f"({padpro['stored']:,}/{padpro['messages']:,} stored, {once})",
                            "≥ 500 msg/s" if phase == "archive" else "–",
                            f"{padpro['throughput_per_s']} msg/s, p99 {padpro['latency']['p99_ms']} ms",
                            f"itchat: {itchat['throughput_per_s']} msg/s, p99 {itchat['latency']['p99_ms']} ms",
                            f"{ratio_text(padpro['throughput_per_s'], itchat['throughput_per_s'])} the throughput",
                            _verdict(padpro["throughput_per_s"], 500, lower_is_better=False) if phase == "archive"
                            else "–", padpro["loadavg"][0]))
    return out


def insights_rows(insights: dict | None) -> list[str]:
    if not insights:
        return []
    s, requests, p = insights["summary"], insights["requests"], insights["parameters"]
    scale = f"{p['members']} members, {p['messages']:,} messages over a year"
    out = [_row("insights", f"one group's year report p95 ({scale})", "≤ 1000 ms", f"{s['group_year_p95_ms']} ms",
                f"no rollups (all live): {s['group_year_without_rollups_p95_ms']} ms", f"{s['speedup_vs_live']}×",
                _verdict(s["group_year_p95_ms"], 1000), requests["group_year"]["loadavg"][0])]
    for name, label in (("group_30_days", "one group, 30 days, p95"), ("comparison_year", "all groups, a year, p95"),
                        ("csv_top_members_year", "CSV of the year's most active, p95")):
        out.append(_row("insights", label, "–", f"{requests[name]['p95_ms']} ms", None, None, "–",
                        requests[name]["loadavg"][0]))
    out.append(_row("insights", "rollup (beat task): first run over the year / next run", "–",
                    f"{s['rollup_backfill_s']} s / {s['rollup_incremental_s']} s", None, None, "–", None))
    return out


def per_query(engine: str, figures: dict) -> list[str]:
    out = [f"#### {engine}: p95 per request (ms) — full data vs a tenth", "",
           "| request | rows matched (+: the capped total) | p95 full | p95 tenth | growth |", "|---|---|---|---|---|"]
    tenth = figures["tenth_of_the_data"]["head"]
    for kind in ("contacts", "messages"):
        for name, entry in figures["head"][kind].items():
            matched = f"{entry['total']:,}{'+' if entry.get('total_capped') else ''}"
            out.append(_row(f"`{entry['path']}`", matched, entry["p95_ms"],
                            tenth[kind][name]["p95_ms"], f"{entry.get('growth_vs_tenth')}×"))
    return out + [""]


def render() -> str:
    any_result = next((d for d in (_load(n) for n in NAMES) if d), None)
    lines = [START, ""]
    if any_result:
        m = any_result["machine"]
        lines += [f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
                  f"SQLite {m['sqlite']}. Shared with other work at times: see the load averages.", ""]
        lines += ["Command: `make bench` (runs `.venv/bin/python -m bench.run`, i.e. each of the following)."]
        lines += [f"- `{d.get('command') or f'.venv/bin/python -m bench.{n}'}`: {d['date']}, commit "
                  f"{d['machine']['commit']}" for n in NAMES if (d := _load(n))]
        lines.append("")
    lines += rows() + [""]
    api = _load("api")
    if api:
        for engine, figures in api["engines"].items():
            if "head" in figures:
                lines += per_query(engine, figures)
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    updated = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: render(), text, flags=re.S)
    DOC.write_text(updated)
    print(f"figures written to {DOC}")


if __name__ == "__main__":
    main()
