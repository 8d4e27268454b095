"""What every benchmark shares: machine facts, load, percentiles, process memory, a migrated app, result files.

The machine is shared with other work, so figures are noisy: every benchmark measures its baseline in the same
run, records the load average next to each figure, and reports ratios.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# BENCH_RESULTS: another folder (the benchmarks' smoke tests write there, never over the recorded figures).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def loadavg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict[str, Any]:
    memory_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=5).stdout.strip()
    except OSError:
        commit = ""
    return {"cores": os.cpu_count(), "cpu": model, "memory_gib": round(memory_kb / 1024 / 1024, 1),
            "os": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "commit": commit, "cpu_calibration_seconds": cpu_calibration()}


def cpu_calibration() -> float:
    """Seconds for 20 million additions in plain Python, best of three: the same machine is not equally fast on
    every day (a shared host), and this tells two runs' absolute figures apart from their code."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(20_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation: p99 of 1,000 samples is the 990th)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def stats_ms(seconds: list[float]) -> dict[str, float | int | None]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {"n": len(seconds), "p50_ms": ms(percentile(seconds, 50)), "p95_ms": ms(percentile(seconds, 95)),
            "p99_ms": ms(percentile(seconds, 99)), "max_ms": ms(max(seconds) if seconds else None)}


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, from /proc."""
    figures = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": figures.get("VmRSS", 0.0), "peak_rss_mb": figures.get("VmHWM", 0.0)}


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def ratio(slow: float | None, fast: float | None) -> float | None:
    if not slow or not fast:
        return None
    return round(slow / fast, 1)


def quiet_logs() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("itchat", "wxpy", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)


def migrated_app(database_url: str, instance: Path, redis_url: str, **config: Any):
    """A Flask app on a freshly migrated database (the real Alembic migrations)."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db

    os.environ.setdefault("SECRET_KEY", "bench-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-secret", "REDIS_URL": redis_url,
                      "WECHAT_AUTOSTART": False, **config}, instance_path=str(instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def issue_token(app) -> str:
    from extensions import db
    from models.admin import AdminUser, ApiToken

    with app.app_context():
        admin = AdminUser(username=f"bench{time.monotonic_ns()}")
        admin.set_password("not-used-by-the-benchmark")
        token, clear = ApiToken.issue(admin, "bench")
        db.session.add_all([admin, token])
        db.session.commit()
        db.session.remove()
    return clear


def write_result(name: str, body: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {"benchmark": name, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": " ".join([".venv/bin/python -m", f"bench.{name}", *sys.argv[1:]]), "machine": machine(),
                **body}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 3)
