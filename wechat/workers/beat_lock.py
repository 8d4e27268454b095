"""Beat runs once, however many beats are started: a scheduler that schedules only while it holds a Redis lease.

Every beat process (a `beat` service per machine, or `celery worker -B`) runs this scheduler; the one holding the
lease `wx:beat:lock` ticks as usual and renews it at every tick, the others stand by and try to take it every few
seconds. A beat that dies stops renewing: within LOCK_TTL another one takes over. The lease is wechat/bot/lease.py's
(compare-and-renew, compare-and-release), so a beat that stalled past the TTL cannot renew its successor's lock.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler

from wechat.bot.lease import Lease

logger = logging.getLogger(__name__)

LOCK_KEY = "wx:beat:lock"
LOCK_TTL = 30.0
STANDBY_SECONDS = 5.0


def beat_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BeatLock:
    """The lease and whether this beat holds it (plain, so it is tested without a scheduler)."""

    def __init__(self, client: redis.Redis, owner: str | None = None, ttl: float = LOCK_TTL) -> None:
        self.lease = Lease(client, LOCK_KEY, ttl)
        self.owner = owner or beat_owner()
        self.ttl = ttl
        self.holding = False

    def hold(self) -> bool:
        """Renew the lease if held, else try to take it; False (standing by) on any Redis error."""
        was = self.holding
        try:
            self.holding = (was and self.lease.renew(self.owner)) or bool(self.lease.acquire(self.owner))
        except redis.RedisError:
            logger.warning("beat lock: Redis unavailable; standing by", exc_info=True)
            self.holding = False
        if self.holding != was:
            logger.info("beat lock %s by %s", "taken" if self.holding else "lost", self.owner)
        return self.holding

    def release(self) -> None:
        if self.holding:
            try:
                self.lease.release(self.owner)
            except redis.RedisError:
                pass
            self.holding = False


class LockedScheduler(PersistentScheduler):
    """Celery's default scheduler (schedule kept in the --schedule file), ticking only while it holds the lock."""

    def __init__(self, *args, **kwargs) -> None:
        self._lock: BeatLock | None = None
        super().__init__(*args, **kwargs)

    def _beat_lock(self) -> BeatLock:
        if self._lock is None:
            flask_app = getattr(self.app, "flask_app", None)
            client = flask_app.extensions["redis"] if flask_app is not None else redis.Redis.from_url(
                self.app.conf.broker_url)
            ttl = float(flask_app.config.get("BEAT_LOCK_TTL", LOCK_TTL)) if flask_app is not None else LOCK_TTL
            self._lock = BeatLock(client, ttl=ttl)
        return self._lock

    def tick(self, *args, **kwargs) -> float:
        lock = self._beat_lock()
        if not lock.hold():
            return min(STANDBY_SECONDS, lock.ttl / 3)
        return min(super().tick(*args, **kwargs), lock.ttl / 3)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
        super().close()
