"""`bench.api` at a tiny scale, so the benchmark cannot rot between `make bench` runs (it had: its baseline step
downgraded the whole schema to 0002 while the code reads columns of later migrations, and every request failed).

The baseline must really lack migration 0003's search indexes, the head must use them, and taking them away and back
must lose no row (a batch rebuild on SQLite with foreign keys on would cascade)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.fixtures.processes import ROOT


def plans_text(variant: dict) -> str:
    return json.dumps([query["plans"] for kind in ("contacts", "messages") for query in variant[kind].values()])


def test_the_api_benchmark_runs_its_baseline_without_the_search_indexes(tmp_path):
    command = [sys.executable, "-m", "bench.api", "--contacts", "200", "--messages", "2000", "--repeat", "1",
               "--engines", "sqlite"]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "BENCH_RESULTS": str(tmp_path)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    sqlite = json.loads((tmp_path / "api.json").read_text())["engines"]["sqlite"]
    baseline, head = sqlite["baseline_0002"], sqlite["head"]
    assert "messages_fts" not in plans_text(baseline) and "ix_contacts_account_names" not in plans_text(baseline)
    assert "messages_fts" in plans_text(head) and "ix_contacts_account_names" in plans_text(head)
    for kind in ("contacts", "messages"):
        totals = {name: (baseline[kind][name]["total"], head[kind][name]["total"]) for name in head[kind]}
        assert all(before == after for before, after in totals.values()), totals
        assert any(after for _, after in totals.values()), totals  # the queries found something to compare
    assert not (ROOT / "bench" / "results" / "api.json.tmp").exists()
