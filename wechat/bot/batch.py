"""What the message handlers of one webwxsync batch share (see wechat/bot/dispatch.py).

- `messages`: the batch's (event, source) pairs, in order, waiting for the end-of-batch flushes;
- `collect` / `take`: what a collecting handler (the archive) keeps until its flush;
- `count` and `redis`: metric counters and Redis commands, sent in ONE pipeline round trip after the flushes,
  instead of a round trip (and a gevent hub switch) per message each.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.client import Pipeline

from libs import metrics

logger = logging.getLogger(__name__)

Queue = Callable[[Pipeline], None]
Then = Callable[[list[Any]], None]


@dataclass
class Batch:
    messages: list[Any] = field(default_factory=list)
    collected: dict[str, list[Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    commands: list[tuple[Queue, Then | None]] = field(default_factory=list)

    def collect(self, name: str, item: Any) -> None:
        self.collected.setdefault(name, []).append(item)

    def take(self, name: str) -> list[Any]:
        return self.collected.pop(name, [])

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a metrics counter (libs/metrics.py) when the batch's Redis commands are sent."""
        self.counts[name] += amount

    def redis(self, queue: Queue, then: Then | None = None) -> None:
        """`queue(pipe)` adds commands to the batch's pipeline; `then(results)` gets their results."""
        self.commands.append((queue, then))

    def send_redis(self, client: redis.Redis, account: str | None = None) -> None:
        """Send everything queued in one round trip (the counters also count for `account`, the bot's slot). A
        Redis failure is logged, never raised: it must not keep messages that are already stored from being
        reported handled."""
        counts, self.counts = self.counts, Counter()
        commands, self.commands = self.commands, []
        if not counts and not commands:
            return
        pipe = client.pipeline(transaction=False)
        metrics.queue_counts(pipe, counts, account)
        spans = []
        for queue, then in commands:
            start = len(pipe)
            queue(pipe)
            spans.append((start, len(pipe), then))
        try:
            results = pipe.execute(raise_on_error=False)
        except redis.RedisError:
            logger.warning("could not send the batch's events and counters to Redis", exc_info=True)
            return
        for start, end, then in spans:
            if then is None:
                continue
            try:
                then(results[start:end])
            except Exception:
                logger.exception("handling the Redis results of a batch failed")
