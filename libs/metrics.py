"""Metrics shared by every process, kept in Redis so a counter bumped in a worker shows on the web's /metrics.

prometheus_client's own registry is per process: a worker's counters would never reach the web process that
Prometheus scrapes. So workers write into two Redis hashes with the tiny helpers below, and `/metrics`
(views/metrics.py) renders them, plus gauges read at scrape time (listener, heartbeat, queue lengths), through a
custom collector.

Documented names: counters `messages_received`, `messages_stored`, `sends_ok`, `sends_failed`; durations
`sync_seconds_<kind>` (rendered as `wechat_admin_sync_seconds{kind="<kind>"}`).

Many accounts (#18): a counter bumped for an account (`incr(..., account=slot)`) also counts in a per-account hash,
rendered as `wechat_admin_account_<name>_total{account="<slot>"}` next to the installation's total; the listener,
login, unread and failed-job gauges are per account too. The `account` label is always the slot name (validated
by wechat/workers/slots.py), never a WeChat nick name, which WeChat users control; the accounts listed are the ones that
should run (wechat/workers/slots.running_slots, handed in by the view), so a removed account's counters stop showing.

The helpers run in the message loop: they never raise, and after a Redis failure they stay quiet for a while
instead of paying a connect timeout on every message.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

logger = logging.getLogger(__name__)

COUNTERS_KEY = "wechat-admin:metrics:counters"
DURATIONS_KEY = "wechat-admin:metrics:durations"
ACCOUNT_COUNTERS_KEY = "wechat-admin:metrics:account-counters"  # field "<slot>:<counter name>"
PREFIX = "wechat_admin"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# What a slot may look like (wechat/workers/slots.SLOT is the rule; libs may not import it): no ':' (a separator).
SLOT = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
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


def incr(name: str, amount: int = 1, account: str | None = None) -> None:
    """Add `amount` to the counter `name` (e.g. "messages_stored"), and to `account`'s own count of it when given
    (the account's slot). A no-op, never an error, without Redis."""
    client = _client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        queue_counts(pipe, {name: amount}, account)
        pipe.execute()
    except Exception:  # metrics must never break the caller
        _failed()


def queue_counts(pipe: redis.client.Pipeline, counts: Mapping[str, int], account: str | None = None) -> None:
    """Queue `incr` for several counters on a pipeline: the message loop sends them once per batch, together with
    its events (wechat/bot/batch.py), instead of one round trip per message."""
    if account is not None and not SLOT.fullmatch(account):
        logger.warning("metrics: invalid account slot %r", account)
        account = None
    for name, amount in counts.items():
        if not NAME.match(name):
            logger.warning("metrics: invalid counter name %r", name)
        elif amount:
            pipe.hincrby(COUNTERS_KEY, name, int(amount))
            if account is not None:
                pipe.hincrby(ACCOUNT_COUNTERS_KEY, f"{account}:{name}", int(amount))


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
    return queue_lengths(client, [queue])[queue]


def queue_lengths(client: redis.Redis, queues: list[str]) -> dict[str, int]:
    """Tasks waiting in each queue (every priority), in one round trip however many accounts have a queue."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        for suffix in PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
    lengths = pipe.execute()
    step = len(PRIORITY_SUFFIXES)
    return {queue: sum(lengths[i * step:(i + 1) * step]) for i, queue in enumerate(queues)}


def _decoded(raw: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def _account_counters(per_account: dict[str, str], slots: list[str]) -> Iterator[CounterMetricFamily]:
    """`wechat_admin_account_<name>_total{account="<slot>"}` for the running slots; a counter one account has shows
    as 0 for the others (fields of slots that no longer run are left out)."""
    values: dict[str, dict[str, int]] = {}
    for field, value in per_account.items():
        slot, _, name = field.partition(":")
        if NAME.match(name) and SLOT.fullmatch(slot):  # anything else was not written by queue_counts
                values.setdefault(name, {})[slot] = int(value)
    for name in sorted(values):
        family = CounterMetricFamily(f"{PREFIX}_account_{name}", f"{name.replace('_', ' ')} per account",
                                     labels=["account"])
        for slot in slots:
            family.add_metric([slot], values[name].get(slot, 0))
        yield family


def _family(name: str) -> tuple[str, dict[str, str]]:
    """sync_seconds_<kind> becomes one family with a kind label; other names are their own family."""
    if name.startswith("sync_seconds_"):
        return "sync_seconds", {"kind": name.removeprefix("sync_seconds_")}
    return name, {}


@dataclass(frozen=True)
class AccountReaders:
    """How the collector reads the accounts, handed in by the view (libs import nothing of the service layer)."""

    slots: Callable[[], list[str]]  # the slots that should run (wechat/workers/slots.running_slots): the one list
    bot_state: Callable[[str], Any]  # a slot's BotState (wechat/bot/state.py)
    unread: Callable[[Any], int]  # unread messages of a BotState (wechat/messages/notifications.unread)
    failed_jobs: Callable[[], Mapping[str, int]]  # slot → send jobs that failed (a database read)
    login_states: tuple[str, ...] = ()  # every login state there is (wechat/bot/state.LOGIN_STATES)


@dataclass(frozen=True)
class AccountFigures:
    """One account's gauges, read at scrape time."""

    listener_up: int
    logged_in: int
    login_state: str
    heartbeat_age: float
    listener_starts: int
    consecutive_errors: int
    unread: int


# Per-account gauges: figure field → (metric name, help). Rendered with the label account="<slot>".
ACCOUNT_GAUGES = {
    "listener_up": ("listener_up", "1 when a listener holds the account's bot and its heartbeat is fresh"),
    "logged_in": ("logged_in", "1 when the WeChat account is logged in"),
    "heartbeat_age": ("listener_heartbeat_age_seconds", "seconds since the account's listener's last heartbeat"),
    "consecutive_errors": ("wechat_consecutive_errors", "failures in a row of the account's receive loop"),
    "unread": ("unread_messages", "messages not read yet in the dashboard"),
}


class RedisCollector:
    """A prometheus_client collector reading the shared metrics (and every account's state) from Redis at scrape
    time."""

    def __init__(self, app: Flask, readers: AccountReaders) -> None:
        self.app = app
        self.readers = readers

    def _figures(self, state: Any) -> AccountFigures:
        listener, login, age = state.listener(), state.login(), state.heartbeat_age()
        healthy = age is not None and age < 3 * self.app.config["LISTENER_HEARTBEAT"]
        return AccountFigures(
            listener_up=int(healthy and listener.get("status") == "running"),
            logged_in=int(login["state"] == "logged_in"), login_state=login["state"],
            heartbeat_age=math.nan if age is None else age, listener_starts=int(listener.get("starts", 0)),
            consecutive_errors=state.wechat_health()["consecutive_errors"], unread=self.readers.unread(state))

    def collect(self) -> Iterator:
        from libs.queues import bot_queue

        client = self.app.extensions["redis"]
        up = GaugeMetricFamily(f"{PREFIX}_redis_up", "1 when Redis answered this scrape")
        slots = self.readers.slots()
        try:
            counters = _decoded(client.hgetall(COUNTERS_KEY))
            durations = _decoded(client.hgetall(DURATIONS_KEY))
            per_account = _decoded(client.hgetall(ACCOUNT_COUNTERS_KEY))
            figures = {slot: self._figures(self.readers.bot_state(slot)) for slot in slots}
            queues = queue_lengths(client, ["celery", *map(bot_queue, slots)])
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
        yield from _account_counters(per_account, slots)
        yield from self._durations(durations)
        for field, (name, documentation) in ACCOUNT_GAUGES.items():
            family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=["account"])
            for slot, figure in figures.items():
                family.add_metric([slot], getattr(figure, field))
            yield family
        starts = CounterMetricFamily(f"{PREFIX}_listener_starts", "listeners started (takeovers, restarts)",
                                     labels=["account"])
        for slot, figure in figures.items():
            starts.add_metric([slot], figure.listener_starts)
        yield starts
        # A state set: 1 for the state each account is in, 0 for the others (label values from our own list only).
        login_state = GaugeMetricFamily(f"{PREFIX}_login_state", "1 for the login state the account is in",
                                        labels=["account", "state"])
        for slot, figure in figures.items():
            for state in self.readers.login_states:
                login_state.add_metric([slot, state], int(figure.login_state == state))
        yield login_state
        yield from self._failed_jobs(slots)
        length = GaugeMetricFamily(f"{PREFIX}_queue_length", "tasks waiting in a Celery queue", labels=["queue"])
        for name, value in queues.items():
            length.add_metric([name], value)
        yield length

    def _failed_jobs(self, slots: list[str]) -> Iterator:
        try:
            failed = self.readers.failed_jobs()
        except Exception:  # noqa: BLE001  (the database is down: the Redis figures still go out)
            logger.warning("metrics scrape: failed send jobs unavailable", exc_info=True)
            return
        family = GaugeMetricFamily(f"{PREFIX}_send_jobs_failed", "send jobs that ended failed", labels=["account"])
        for slot in slots:
            family.add_metric([slot], failed.get(slot, 0))
        yield family

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
