"""`make bench`: run the benchmarks one after the other, then write the figures into docs/PERFORMANCE.md.

Each benchmark runs in its own process (so peak-memory figures are its own) and writes bench/results/<name>.json.
A failing benchmark is reported and the others still run; the exit status says whether all of them finished.

    .venv/bin/python -m bench.run [sync ingest sse api insights drivers accounts] [--quick]

`--quick` is handed to the benchmarks that have a smaller run (bench/accounts.py: 10 accounts instead of the
issue's 50); `make bench BENCH_ARGS=--quick` does the same.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import ROOT, loadavg
from bench.report import NAMES as BENCHMARKS  # sync ingest sse api insights drivers (padpro beside itchat) accounts

QUICK = {"accounts"}  # the benchmarks that take --quick


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [name for name in argv if name != "--quick"] or list(BENCHMARKS)
    failed = []
    for name in wanted:
        started = time.monotonic()
        print(f"== bench.{name} (load average {loadavg()})", flush=True)
        extra = ["--quick"] if quick and name in QUICK else []
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *extra], cwd=ROOT)
        print(f"== bench.{name}: exit {code} after {time.monotonic() - started:.0f}s", flush=True)
        if code:
            failed.append(name)
    subprocess.call([sys.executable, "-m", "bench.report"], cwd=ROOT)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
