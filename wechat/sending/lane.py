"""One lane per WeChat account for automated sends: whichever job sends, sends are a pacing delay apart.

The Pacer spaces the sends of one job. Two jobs created at the same moment (or a schedule firing during a bulk
send) each paced themselves and interleaved with no gap at all, which is exactly the burst the anti-ban pacing is
there to avoid. The lane is a time slot in Redis: each send reserves the next free moment and moves it on by a
random delay, atomically, so jobs in any number of greenlets, processes or machines share one rhythm.

Slots are spaced from the start of one send to the start of the next (a rate, which is what WeChat watches);
the Pacer alone paused after each send had finished.
"""

from __future__ import annotations

import redis

from wechat.sending.pacing import Pacer

# KEYS[1]: the lane; ARGV[1]: the gap after this send (s). Returns the wait before this send may go (s), as text.
# Redis' clock, not the caller's: workers on several machines agree on it.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, free)
local next_free = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', next_free), 'EX', math.ceil(next_free - now) + 60)
return string.format('%.6f', at - now)
"""


class SendLane:
    def __init__(self, client: redis.Redis, key: str, pacer: Pacer) -> None:
        self.key = key
        self.pacer = pacer
        self._reserve = client.register_script(_RESERVE)

    def wait_turn(self) -> float:
        """Block until this send's slot (the pacer's sleep, so a job keeps its lease alive); returns the wait."""
        wait = float(self._reserve(keys=[self.key], args=[self.pacer.next_delay()]))
        if wait > 0:
            self.pacer.sleep(wait)
        return wait
