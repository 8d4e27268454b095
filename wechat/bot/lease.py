"""A Redis lease: a lock with a TTL that its holder renews, so a crashed holder's lock expires by itself.

Each successful acquire also hands out a generation (a fencing token) kept next to the lock, strictly larger than
any before it: the holder passes it with every write that only the current holder may make (wechat/bot/fence.py), so a
holder that lost the lease, but does not know yet, cannot overwrite its successor.
"""

from __future__ import annotations

import redis

# Compare-and-act scripts: only the holder may renew or release (a late holder must not free a successor's lock).
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
# Generations are microseconds of the Redis clock, or the last one + 1 if that is larger: strictly increasing while
# Redis keeps its data, and still larger than any earlier one after Redis restarted empty (the counter is gone then,
# the clock is not), so an old holder from before the restart stays fenced off.
_ACQUIRE = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local now = redis.call('time')
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])  -- < 2^53: exact in Lua's doubles
local generation = math.max(tonumber(redis.call('get', KEYS[2]) or '0') + 1, clock)
redis.call('set', KEYS[2], string.format('%d', generation))
return generation
"""


class Lease:
    def __init__(self, client: redis.Redis, key: str, ttl_seconds: float, fenced: bool = False) -> None:
        """With `fenced`, acquiring also hands out a generation (kept for good under `<key>:generation`, so only
        for long-lived leases such as the listener's; a per-job lease would leave one key per job behind)."""
        self.client = client
        self.key = key
        self.generation_key = f"{key}:generation"
        self.ttl_ms = int(ttl_seconds * 1000)
        self.fenced = fenced

    def acquire(self, owner: str) -> int:
        """Take the lease if it is free; returns its new generation (1 when not fenced), or 0 when someone else
        holds it."""
        if not self.fenced:
            return int(bool(self.client.set(self.key, owner, nx=True, px=self.ttl_ms)))
        return int(self.client.eval(_ACQUIRE, 2, self.key, self.generation_key, owner, self.ttl_ms))

    def renew(self, owner: str) -> bool:
        """Extend the lease; False means it was lost (expired and maybe taken by someone else)."""
        return bool(self.client.eval(_RENEW, 1, self.key, owner, self.ttl_ms))

    def release(self, owner: str) -> bool:
        return bool(self.client.eval(_RELEASE, 1, self.key, owner))

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value is not None else None

    def generation(self) -> int | None:
        """The newest generation handed out (whether or not its holder still holds the lease)."""
        value = self.client.get(self.generation_key)
        return int(value) if value is not None else None
