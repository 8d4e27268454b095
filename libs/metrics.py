"""Metrics shared by every process, kept in Redis so a counter bumped in a worker shows on the web's /metrics.

prometheus_client's own registry is per process: a worker's counters would never reach the web process that
Prometheus scrapes. So workers write into two Redis hashes with the tiny helpers below, and `/metrics`
(views/metrics.py) renders them, plus gauges read at scrape time (listener, heartbeat, queue lengths), through a
custom collector.

Documented names: counters `messages_received`, `messages_stored`, `sends_ok`, `sends_failed`; durations
`sync_seconds_<kind>` (rendered as `wechat_admin_sync_seconds{kind="<kind>"}`).

The helpers run in the message loop: they never raise, and after a Redis failure they stay quiet for a while
instead of paying a connect timeout on every message.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

logger = logging.getLogger(__name__)

COUNTERS_KEY = "wechat-admin:metrics:counters"
DURATIONS_KEY = "wechat-admin:metrics:durations"
PREFIX = "wechat_admin"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# kombu's Redis transport keeps messages of priority p > 0 in "<queue>\x06\x16<p>" (default steps 0, 3, 6, 9).
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
BACKOFF_SECONDS = 30.0

_down_until = 0.0


def _client() -> redis.Redis | None:
    if time.monotonic() < _down_until or not has_app_context():
        return None
    return current_app.extensions.get("redis")


def _failed() -> None:
    global _down_until
    _down_until = time.monotonic() + BACKOFF_SECONDS
    logger.warning("metrics: Redis unavailable; dropping metrics for %.0fs", BACKOFF_SECONDS, exc_info=True)


def incr(name: str, amount: int = 1) -> None:
    """Add `amount` to the counter `name` (e.g. "messages_stored"). A no-op, never an error, without Redis."""
    if not NAME.match(name):
        logger.warning("metrics: invalid counter name %r", name)
        return
    client = _client()
    if client is None:
        return
    try:
        client.hincrby(COUNTERS_KEY, name, int(amount))
    except Exception:  # metrics must never break the caller
        _failed()


def queue_counts(pipe: redis.client.Pipeline, counts: Mapping[str, int]) -> None:
    """Queue `incr` for several counters on a pipeline: the message loop sends them once per batch, together with
    its events (wechat/bot/batch.py), instead of one round trip per message."""
    for name, amount in counts.items():
        if not NAME.match(name):
            logger.warning("metrics: invalid counter name %r", name)
        elif amount:
            pipe.hincrby(COUNTERS_KEY, name, int(amount))


def observe(name: str, seconds: float) -> None:
    """Record one duration (e.g. observe("sync_seconds_contacts", 1.8)): count, sum and last value."""
    if not NAME.match(name):
        logger.warning("metrics: invalid duration name %r", name)
        return
    client = _client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(DURATIONS_KEY, f"{name}:count", 1)
        pipe.hincrbyfloat(DURATIONS_KEY, f"{name}:sum", float(seconds))
        pipe.hset(DURATIONS_KEY, f"{name}:last", float(seconds))
        pipe.execute()
    except Exception:
        _failed()


def reset_backoff() -> None:
    """Forget an earlier Redis failure (tests; an operator's restart does the same)."""
    global _down_until
    _down_until = 0.0


def queue_length(client: redis.Redis, queue: str) -> int:
    pipe = client.pipeline(transaction=False)
    for suffix in PRIORITY_SUFFIXES:
        pipe.llen(queue + suffix)
    return sum(pipe.execute())


def _decoded(raw: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def _family(name: str) -> tuple[str, dict[str, str]]:
    """sync_seconds_<kind> becomes one family with a kind label; other names are their own family."""
    if name.startswith("sync_seconds_"):
        return "sync_seconds", {"kind": name.removeprefix("sync_seconds_")}
    return name, {}


class RedisCollector:
    """A prometheus_client collector reading the shared metrics (and the bot's state) from Redis at scrape time."""

    def __init__(self, app: Flask, bot_state: Callable[[Flask], Any]) -> None:
        self.app = app
        self.bot_state = bot_state  # handed in by the view: libs import nothing of the service layer

    def collect(self) -> Iterator:
        from libs.queues import bot_queue

        client = self.app.extensions["redis"]
        up = GaugeMetricFamily(f"{PREFIX}_redis_up", "1 when Redis answered this scrape")
        try:
            counters = _decoded(client.hgetall(COUNTERS_KEY))
            durations = _decoded(client.hgetall(DURATIONS_KEY))
            state = self.bot_state(self.app)
            listener, login, age = state.listener(), state.login(), state.heartbeat_age()
            queues = {name: queue_length(client, name) for name in ("celery", bot_queue(state.account))}
        except redis.RedisError:
            logger.warning("metrics scrape: Redis unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, value in sorted(counters.items()):
            family = CounterMetricFamily(f"{PREFIX}_{name}", f"{name.replace('_', ' ')} (all processes)")
            family.add_metric([], int(value))
            yield family
        yield from self._durations(durations)
        healthy = age is not None and age < 3 * self.app.config["LISTENER_HEARTBEAT"]
        yield self._gauge("listener_up", "1 when a listener holds the bot and its heartbeat is fresh",
                          int(healthy and listener.get("status") == "running"))
        yield self._gauge("logged_in", "1 when the WeChat account is logged in", int(login["state"] == "logged_in"))
        yield self._gauge("listener_heartbeat_age_seconds", "seconds since the listener's last heartbeat",
                          math.nan if age is None else age)
        starts = CounterMetricFamily(f"{PREFIX}_listener_starts", "listeners started (takeovers, restarts)")
        starts.add_metric([], int(listener.get("starts", 0)))
        yield starts
        length = GaugeMetricFamily(f"{PREFIX}_queue_length", "tasks waiting in a Celery queue", labels=["queue"])
        for name, value in queues.items():
            length.add_metric([name], value)
        yield length

    @staticmethod
    def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)

    @staticmethod
    def _durations(durations: dict[str, str]) -> Iterator:
        families: dict[str, tuple[SummaryMetricFamily, GaugeMetricFamily]] = {}
        for field in sorted(durations):
            name, _, part = field.rpartition(":")
            if part != "count":
                continue
            family_name, labels = _family(name)
            if family_name not in families:
                families[family_name] = (
                    SummaryMetricFamily(f"{PREFIX}_{family_name}", f"{family_name} durations",
                                        labels=list(labels)),
                    GaugeMetricFamily(f"{PREFIX}_{family_name}_last", f"last {family_name} duration",
                                      labels=list(labels)))
            summary, last = families[family_name]
            summary.add_metric(list(labels.values()), count_value=int(durations[field]),
                               sum_value=float(durations.get(f"{name}:sum", 0)))
            last.add_metric(list(labels.values()), float(durations.get(f"{name}:last", "nan")))
        for summary, last in families.values():
            yield summary
            yield last
