"""Password-guess throttling (sign-in and password change), counted atomically in Redis.

Two counters per attempt: the client address (IPv6: its /64, which one host usually owns whole) and the pair
address + username. The username alone is NOT counted: that would let anyone lock the real admin out by guessing
from elsewhere. Past a counter's limit every further attempt must wait a delay that doubles each time (5 s, 10 s,
20 s, ... up to the window), a progressive slowdown rather than a hard lock.

Check and count are ONE Lua script (`acquire`), run before the password is hashed: an attempt takes a slot first and
is evaluated only if it got one, so 30 parallel guesses cannot all slip past a check made before any of them was
counted. A successful sign-in gives its slot back. If Redis is unreachable the caller fails closed (nobody signs in
until it is back) rather than making guessing free while it is down.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

import redis
from flask import current_app, request

from libs.redis_client import get_redis

BASE_DELAY_MS = 5000

# KEYS: the counters; ARGV: now (ms), window (ms), base delay (ms), max delay (ms), then each key's limit.
# Returns {wait_ms, first_refusal}: wait_ms > 0 means refused (not counted, not to be evaluated); first_refusal is 1
# only for the first refusal of a delay period, so the audit log gets one entry per period, not one per request.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local wait, noted = 0, 1
for _, key in ipairs(KEYS) do
  local until_ms = tonumber(redis.call('HGET', key, 'until') or '0')
  if until_ms > now then
    wait = math.max(wait, until_ms - now)
    if redis.call('HGET', key, 'noted') ~= tostring(until_ms) then
      redis.call('HSET', key, 'noted', tostring(until_ms))
      noted = 0
    end
  end
end
if wait > 0 then return {wait, 1 - noted} end
for i, key in ipairs(KEYS) do
  local count = redis.call('HINCRBY', key, 'n', 1)
  local limit = tonumber(ARGV[4 + i])
  local delay = 0
  if count >= limit then
    delay = math.floor(math.min(tonumber(ARGV[3]) * 2 ^ math.min(count - limit, 40), tonumber(ARGV[4])))
    redis.call('HSET', key, 'until', tostring(now + delay))
  end
  redis.call('PEXPIRE', key, tonumber(ARGV[2]) + delay)
end
return {0, 0}
"""

# A successful sign-in: the pair's record is cleared; the address gets its slot back (its record stays).
_SUCCEEDED = """
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('HGET', KEYS[1], 'n') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'n', -1)
end
return 0
"""


def address_key(address: str) -> str:
    """The address as counted: IPv6 by its /64 (one host usually has the whole prefix)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address) + "/64"


@dataclass(frozen=True)
class Attempt:
    wait_seconds: int  # 0: go ahead and check the password
    newly_throttled: bool  # the first refusal of a delay period (worth one audit entry)


class LoginThrottle:
    def __init__(self, client: redis.Redis, limit: int, window_seconds: int, address_limit: int | None = None) -> None:
        self.client = client
        self.limit = max(int(limit), 1)
        self.address_limit = max(int(address_limit or self.limit * 4), 1)
        self.window_ms = max(int(window_seconds), 1) * 1000
        self._acquire = client.register_script(_ACQUIRE)
        self._succeeded = client.register_script(_SUCCEEDED)

    @staticmethod
    def _keys(address: str, username: str) -> list[str]:
        where = address_key(address)
        pair = hashlib.sha256(f"{where}\n{username.strip().lower()}".encode()).hexdigest()[:32]
        return [f"login-throttle:addr:{where}", f"login-throttle:pair:{pair}"]

    def acquire(self, address: str, username: str) -> Attempt:
        """Take a slot for one password check, atomically; refused (wait_seconds > 0) while a delay runs."""
        now_ms = int(time.time() * 1000)
        wait_ms, first = self._acquire(keys=self._keys(address, username),
                                       args=[now_ms, self.window_ms, BASE_DELAY_MS, self.window_ms,
                                             self.address_limit, self.limit])
        wait_ms = int(wait_ms)
        return Attempt(wait_seconds=-(-wait_ms // 1000) if wait_ms > 0 else 0, newly_throttled=bool(first))

    def succeeded(self, address: str, username: str) -> None:
        self._succeeded(keys=self._keys(address, username))


def client_address() -> str:
    return request.remote_addr or "unknown"


def login_throttle() -> LoginThrottle:
    """The app's throttle for every password check: sign-in and password change share its counters."""
    config = current_app.config
    return LoginThrottle(get_redis(), config["LOGIN_RATE_LIMIT"], config["LOGIN_RATE_WINDOW"],
                         config.get("LOGIN_RATE_LIMIT_PER_ADDRESS"))
