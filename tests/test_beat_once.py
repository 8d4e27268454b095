"""Beat runs once however many beats are started (wechat/workers/beat_lock.py): two real `celery beat` processes on one
Redis, only one sends the schedule; SIGKILL it and the other takes over once the lock expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.fixtures.processes import ROOT, wait_for

SENT = "Sending due task wechat-watchdog"


def start_beat(env: dict[str, str], folder, name: str) -> tuple[subprocess.Popen, object]:
    log_path = folder / f"{name}.log"
    log = open(log_path, "ab")  # noqa: SIM115  (the child owns it)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wechat", "beat", "--loglevel", "INFO",
         "--schedule", str(folder / f"{name}-schedule")],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process, log_path


def sends(log_path) -> int:
    return log_path.read_text(errors="replace").count(SENT)


def test_two_beats_schedule_once_and_the_standby_takes_over(redis_server, tmp_path):
    redis_server.client().flushall()
    env = {"REDIS_URL": redis_server.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'beat.db'}",
           "SECRET_KEY": "beat", "INSTANCE_PATH": str(tmp_path / "instance"), "WATCHDOG_INTERVAL": "1",
           "BEAT_LOCK_TTL": "3"}
    beats = [start_beat(env, tmp_path, name) for name in ("beat-a", "beat-b")]
    try:
        wait_for(lambda: sum(sends(log) for _, log in beats) >= 5, 90, interval=0.5, what="the watchdog scheduled")
        time.sleep(4)  # longer than the lock: a second beat that had taken it would have sent by now
        counts = [sends(log) for _, log in beats]
        assert sorted(count > 0 for count in counts) == [False, True], counts
        active = counts.index(max(counts))
        process, _ = beats[active]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        killed = time.monotonic()
        standby_log = beats[1 - active][1]
        wait_for(lambda: sends(standby_log) > 0, 30, interval=0.2, what="the standby beat scheduling")
        print(f"FIGURE beat_standby_takeover_seconds = {time.monotonic() - killed:.1f}")
    finally:
        for process, _ in beats:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
