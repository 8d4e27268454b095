"""Anti-ban pacing: a random pause between automated sends, and backing off when WeChat says "too frequent"."""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class Pacer:
    def __init__(self, min_delay: float, max_delay: float, sleep: Callable[[float], object] = time.sleep,
                 rng: random.Random | None = None) -> None:
        if min_delay < 0 or max_delay < min_delay:
            raise ValueError("need 0 <= min_delay <= max_delay")
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        return self.rng.uniform(self.min_delay, self.max_delay)

    def pause(self) -> float:
        delay = self.next_delay()
        self.sleep(delay)
        return delay

    def backoff(self, attempt: int, base: float = 5.0, cap: float = 120.0) -> float:
        """Wait after a rate-limit answer: base·2^attempt with jitter, capped."""
        delay = min(cap, base * 2**attempt) * self.rng.uniform(0.8, 1.2)
        self.sleep(delay)
        return delay
