"""bench/accounts.py at the smallest scale, so the benchmark cannot rot between the runs of `make bench`: 2 accounts
over 2 real workers on one sandbox (SQLite, short lease and placement periods). Every phase runs but the 0-account
worker, the new worker and the closing round (each new worker process costs seconds of CPU). The figures are not
judged here (bench/results/accounts.json holds those); what is checked is that each phase measured something and
that its accounting adds up."""

from __future__ import annotations

import pytest

from bench import accounts

pytestmark = pytest.mark.integration

TINY = ["--accounts", "2", "--workers", "2", "--friends", "3", "--groups", "1", "--members", "3", "--rate", "4",
        "--messages", "4", "--baseline-accounts", "0", "--idle", "0", "--lease-ttl", "2", "--placement-interval",
        "0.5", "--max-wait", "90", "--settle", "5", "--database", "sqlite", "--no-write",
        "--skip", "worker_with_no_account", "--skip", "new_worker", "--skip", "after"]


def test_the_accounts_benchmark_runs_at_tiny_scale():
    result = accounts.main(TINY)
    print("phase seconds:", result["main"]["phase_seconds"])
    main, summary = result["main"], result["summary"]

    assert main["login"]["accounts"] == 2 and summary["logged_in_and_synced_s"] >= 0
    assert sorted(figures["accounts"] for figures in main["memory"]["workers"].values()) == [1, 1]
    assert summary["rss_per_account_mb"] > 0
    # The quiet round: 2 accounts × 4 messages, every one stored once, its latency measured.
    load = main["load"]
    assert (load["messages"], load["stored"], load["distinct_stored"]) == (8, 8, 8), load
    assert load["latency"]["p99_ms"] is not None and load["throughput_per_s"] > 0
    # The headroom round: the same messages offered at twice the rate, each stored once.
    headroom = main["headroom"]
    assert headroom["offered_per_s"] == 2 * load["offered_per_s"], headroom
    assert (headroom["messages"], headroom["stored"], headroom["distinct_stored"]) == (8, 8, 8), headroom
    assert summary["headroom_exactly_once"] is True
    # The SIGKILL round: one account moved; whatever is missing is only what the victim held when it died (a
    # gateway pushes each message once), never a message injected after the kill or another account's.
    kill = main["sigkill"]
    assert kill["victim_accounts"] == 1 and kill["takeover_s"] > 0
    assert kill["load"]["duplicates"] == 0, kill
    assert kill["missing_where"]["victim_accounts_injected_after_kill"] == 0, kill
    assert kill["missing_where"]["other_accounts"] == 0, kill
    assert kill["archive_resumed_s"] is not None, kill
    rows, distinct = summary["all_rounds_rows_distinct"]
    assert rows == distinct, summary
