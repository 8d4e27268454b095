"""Settings the message loop needs for every message (plugin switches and settings, auto-reply rules, automation
settings), kept in the bot's process and read from SQL again only after they changed.

Every commit that changes one of the WATCHED tables — in any process that imported this module: the web (through
the views), the worker, the CLI — bumps a version counter in Redis and this process's own generation (SQLAlchemy
session events, so no writer has to remember to). The dispatcher reads the Redis version before the first
message of every webwxsync batch, i.e. after the batch was fetched: a change committed before a message was sent
is seen by that message, as when every message read SQL, for one Redis GET per batch instead of several queries
per message. MAX_AGE bounds how long a lost bump (Redis down during an edit) can keep a stale value.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import redis
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

VERSION_KEY = "wechat-admin:config:version"
WATCHED = frozenset({"plugin_configs", "autoreply_rules", "automation_settings"})
MAX_AGE = 60.0
CHANGED = "config_cache.changed"

_lock = threading.Lock()
_shared: bytes | None = None  # the Redis counter as last read (refresh)
_local = 0  # commits of this process that changed a watched table


def version() -> tuple[bytes | None, int]:
    return _shared, _local


def refresh(client: redis.Redis) -> None:
    """Read the shared version (the dispatcher, once per batch). Redis down: keep the last one (MAX_AGE applies)."""
    global _shared
    try:
        _shared = client.get(VERSION_KEY)
    except redis.RedisError:
        logger.warning("config cache: Redis unavailable; cached settings are kept for up to %.0fs", MAX_AGE)


def bump(client: redis.Redis | None = None) -> None:
    """Invalidate every cache: this process's at once, the other processes' at their next batch."""
    global _local
    with _lock:
        _local += 1
    if client is None and has_app_context():
        client = current_app.extensions.get("redis")
    if client is None:
        return
    try:
        client.incr(VERSION_KEY)
    except redis.RedisError:
        logger.warning("config cache: could not tell other processes about a settings change", exc_info=True)


def _touches_watched(session: Session) -> bool:
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__tablename__", None)
        if table in WATCHED:
            return True
    return False


@event.listens_for(Session, "before_flush")
def _note_change(session: Session, flush_context, instances) -> None:
    if _touches_watched(session):
        session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(CHANGED, False):
        bump()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(CHANGED, None)


def _database() -> str:
    from extensions import db

    return str(db.engine.url) if has_app_context() else ""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedCache(Generic[K, V]):
    """`get(key)` returns `loader(key)`, loaded again when the version changed or after MAX_AGE seconds.

    Values are shared by every caller: treat them as read-only.
    """

    def __init__(self, loader: Callable[[K], V]) -> None:
        self.loader = loader
        self._entries: dict[tuple[str, K], tuple[tuple[bytes | None, int], float, V]] = {}

    def get(self, key: K) -> V:
        current = version()
        scoped = (_database(), key)  # one process may serve several databases (tests: one per test)
        entry = self._entries.get(scoped)
        if entry is not None and entry[0] == current and time.monotonic() - entry[1] < MAX_AGE:
            return entry[2]
        value = self.loader(key)
        self._entries[scoped] = (current, time.monotonic(), value)
        return value

    def clear(self) -> None:
        self._entries.clear()
