"""Failed-login throttling, counted in Redis per client address and per username.

Counting both stops one address guessing many passwords and many addresses guessing one account's password.
If Redis is unreachable the throttle fails closed: nobody can log in until it is back, rather than brute force
becoming free while it is down.
"""

from __future__ import annotations

import hashlib

import redis


class LoginThrottle:
    def __init__(self, client: redis.Redis, limit: int, window_seconds: int) -> None:
        self.client = client
        self.limit = limit
        self.window = window_seconds

    @staticmethod
    def _keys(address: str, username: str) -> list[str]:
        user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return [f"login-fail:ip:{address}", f"login-fail:user:{user}"]

    def retry_after(self, address: str, username: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        keys = self._keys(address, username)
        pipe = self.client.pipeline()
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        values = pipe.execute()
        waits = [
            max(int(ttl), 1)
            for count, ttl in zip(values[0::2], values[1::2], strict=True)
            if count is not None and int(count) >= self.limit
        ]
        return max(waits, default=0)

    def failed(self, address: str, username: str) -> None:
        pipe = self.client.pipeline()
        for key in self._keys(address, username):
            # SET NX starts the window on the first failure (EXPIRE NX needs Redis 7; this works on 6 too).
            pipe.set(key, 0, ex=self.window, nx=True)
            pipe.incr(key)
        pipe.execute()

    def succeeded(self, address: str, username: str) -> None:
        # Only the username's counter is cleared: an attacker's address keeps its record.
        self.client.delete(self._keys(address, username)[1])
