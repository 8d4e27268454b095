"""The worker's placement loop: applies wechat/workers/placement.py every PLACEMENT_INTERVAL seconds.

Each tick it (1) writes this worker's heartbeat and cap into one Redis hash (`wx:workers`), (2) reads the accounts
that should run (wechat/workers/slots.py), who holds their leases (the listener record of the lease's holder names its
worker) and the live workers, then (3) launches listeners for the free accounts it should take, on itself (Celery's
worker_direct queue, libs/queues.py), and asks its own listeners of the accounts it should hand over to stop
(reason `handover`: no logout, the session is kept, the lease is given up; another worker takes the account on its
next tick). Launches go through the same de-duplication as every launch (`BotState.mark_launch`), and the lease
decides any race that is left. Celery and Redis are the whole engine: no coordinator, no messages between workers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping

import redis
from flask import Flask

from wechat.bot import runtime
from wechat.bot.state import BotState
from wechat.workers.placement import Decision, place

logger = logging.getLogger(__name__)

WORKERS_KEY = "wx:workers"
UNKNOWN = "?"  # a lease (or a launch) whose worker is not known yet: held, not free
STALE_PERIODS = 3  # a worker silent this many periods is dead
FORGET_PERIODS = 120  # and its heartbeat is removed after this many
STARTUP_PERIODS = 2  # a new worker announces itself, then waits this many periods before its first decision


def live_workers(client: redis.Redis, now: float, interval: float) -> dict[str, int]:
    live: dict[str, int] = {}
    for name, raw in client.hgetall(WORKERS_KEY).items():
        try:
            beat = json.loads(raw)
            age = now - float(beat["at"])
        except (ValueError, KeyError, TypeError):
            client.hdel(WORKERS_KEY, name)
            continue
        if age <= STALE_PERIODS * interval:
            live[name.decode()] = int(beat.get("cap", 0))
        elif age > FORGET_PERIODS * interval:
            client.hdel(WORKERS_KEY, name)
    return live


def holder_of(state: BotState, live: Mapping[str, int] | None = None) -> str | None:
    """The worker holding the account's lease, UNKNOWN while a listener is starting, None when it is free (also
    when the launch under way was sent to a worker that is no longer alive: its listener will never start)."""
    task_id = state.lease_holder()
    if task_id is None:
        if not state.client.exists(state.key("launch")):
            return None
        target = state.client.get(state.key("launch_to"))
        if target is not None and live is not None and target.decode() not in live:
            return None
        return UNKNOWN
    record = state.listener()
    if record.get("task_id") != task_id:
        return UNKNOWN  # the new holder has not written its record yet
    return record.get("hostname") or UNKNOWN


class Placer:
    def __init__(self, app: Flask, hostname: str) -> None:
        self.app = app
        self.hostname = hostname
        self.interval = float(app.config["PLACEMENT_INTERVAL"])
        self.cap = int(app.config["WORKER_MAX_ACCOUNTS"])
        self.client: redis.Redis = app.extensions["redis"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._launched: dict[str, float] = {}  # account → when this worker launched a listener for it

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="placement", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop placing; the loop then removes this worker's heartbeat (the others need not wait for it to go
        stale). No I/O here: this runs in the worker's shutdown signal handler, where gevent may not block."""
        self._stop.set()

    def _run(self) -> None:
        # Announce this worker first and decide only after the others had a chance to do the same: workers that
        # start together then agree on the share at once instead of taking everything and handing it over again.
        try:
            self.client.hset(WORKERS_KEY, self.hostname, json.dumps({"at": time.time(), "cap": self.cap}))
        except redis.RedisError:
            pass
        self._stop.wait(STARTUP_PERIODS * self.interval)
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # Redis or the database briefly away: try again next period
                logger.warning("placement tick failed", exc_info=True)
            self._stop.wait(self.interval)
        try:
            self.client.hdel(WORKERS_KEY, self.hostname)
        except redis.RedisError:
            pass

    def tick(self) -> Decision:
        from wechat.workers.slots import running_slots

        now = time.time()
        self.client.hset(WORKERS_KEY, self.hostname, json.dumps({"at": now, "cap": self.cap}))
        workers = live_workers(self.client, now, self.interval)
        with self.app.app_context():
            slots = running_slots(self.app)
        mine = set(runtime.listeners())
        holders: dict[str, str | None] = {}
        wanted = []
        for account in dict.fromkeys([*slots, *mine]):
            state = BotState(self.client, account)
            holder = holder_of(state, workers)
            if holder == UNKNOWN and now - self._launched.get(account, 0) < 30:
                holder = self.hostname  # our own launch on its way: count it as ours
            holders[account] = holder
            if account in slots and (holder or not state.paused()):
                wanted.append(account)
        decision = place(self.hostname, wanted, workers, holders)
        for account in decision.release:
            listener = runtime.current_listener(account)
            if listener is not None:
                logger.info("placement: handing %s over (%d accounts, %d workers)", account, len(wanted),
                            len(workers))
                listener.stop("handover")
        to_launch = len(decision.take)
        for account in [*decision.take, *decision.spare]:  # one taken by another worker first: the next spare
            if to_launch <= 0:
                break
            to_launch -= self._launch(account, workers)
        return decision

    def _launch(self, account: str, workers: Mapping[str, int]) -> bool:
        """Launch a listener for the account here; False when none was launched (another launch was first)."""
        from wechat.control import launch_listener

        state = BotState(self.client, account)
        target = self.client.get(state.key("launch_to"))
        if target is not None and target.decode() not in workers:
            state.clear_launch()  # that launch went to a worker that died before starting it

        with self.app.app_context():
            task_id = launch_listener(self.app, account=account, worker=self.hostname)
        if not task_id:
            return False
        self._launched[account] = time.time()
        logger.info("placement: taking %s", account)
        return True


_placer: Placer | None = None


def start(app: Flask, hostname: str) -> Placer:
    global _placer
    _placer = Placer(app, hostname)
    _placer.start()
    return _placer


def stop() -> None:
    if _placer is not None:
        _placer.stop()
