"""A Redis lease: a lock with a TTL that its holder renews, so a crashed holder's lock expires by itself."""

from __future__ import annotations

import redis

# Compare-and-act scripts: only the holder may renew or release (a late holder must not free a successor's lock).
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lease:
    def __init__(self, client: redis.Redis, key: str, ttl_seconds: float) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = int(ttl_seconds * 1000)

    def acquire(self, owner: str) -> bool:
        return bool(self.client.set(self.key, owner, nx=True, px=self.ttl_ms))

    def renew(self, owner: str) -> bool:
        """Extend the lease; False means it was lost (expired and maybe taken by someone else)."""
        return bool(self.client.eval(_RENEW, 1, self.key, owner, self.ttl_ms))

    def release(self, owner: str) -> bool:
        return bool(self.client.eval(_RELEASE, 1, self.key, owner))

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value is not None else None
