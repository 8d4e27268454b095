"""Fenced writes: Redis applies a batch of writes only for the newest generation of a lease (wechat/bot/lease.py).

A listener that was replaced (a refresh, a lost lease, a killed task whose threads lived on) may still be running
code that writes the login state, the QR image or the heartbeat. Every such write carries the writer's generation,
and ONE Lua script compares it with the lease's newest generation and applies the writes, or none of them, in one
step: there is no moment between the check and the write in which a successor could take over.

A batch may also publish dashboard events (libs/events.py: Stream entry + channel message, the same as publish()),
so a fenced-off writer cannot tell the browser anything either. `FencedWrite(..., generation=None)` is the
watchdog's variant: the writes apply only while nobody holds the lease (it says "no listener" when one died).
"""

from __future__ import annotations

from typing import Any

import redis

from libs.events import CHANNEL, STREAM_KEY, checked_event, encode_data, stream_maxlen

# KEYS[1]: the lease's generation key, KEYS[2]: the lease key, KEYS[3..]: the keys written.
# ARGV[1]: the writer's generation ('' = only while the lease is free), then the writes, each as
# command, index of its key in KEYS, number of arguments, arguments... ('event' = an XADD + PUBLISH pair).
_FENCED_WRITE = """
if ARGV[1] == '' then
  if redis.call('exists', KEYS[2]) == 1 then return 0 end
else
  local newest = redis.call('get', KEYS[1])
  if not newest or newest ~= ARGV[1] then return 0 end
end
local i = 2
while i <= #ARGV do
  local command, key, count = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  local args = {}
  for j = 1, count do args[j] = ARGV[i + 2 + j] end
  i = i + 3 + count
  if command == 'event' then
    local id = redis.call('xadd', key, 'MAXLEN', '~', args[1], '*', 'event', args[2], 'data', args[3])
    redis.call('publish', args[4], id .. '\\n' .. args[2] .. '\\n' .. args[3])
  else
    redis.call(command, key, unpack(args))
  end
end
return 1
"""


class FencedWrite:
    """Collects writes, then `commit()` applies all of them if `generation` is still the lease's newest."""

    def __init__(self, client: redis.Redis, lease_key: str, generation: int | None) -> None:
        self.client = client
        self.generation = generation
        self._keys: list[str] = [f"{lease_key}:generation", lease_key]
        self._args: list[Any] = []

    def _add(self, command: str, key: str, *args: Any) -> FencedWrite:
        if key not in self._keys:
            self._keys.append(key)
        self._args += [command, self._keys.index(key) + 1, len(args), *args]
        return self

    def delete(self, key: str) -> FencedWrite:
        return self._add("del", key)

    def set(self, key: str, value: bytes | str, ex: int | None = None) -> FencedWrite:
        return self._add("set", key, value, *(("EX", ex) if ex else ()))

    def hset(self, key: str, mapping: dict[str, Any]) -> FencedWrite:
        pairs = [item for name, value in mapping.items() for item in (name, str(value))]
        return self._add("hset", key, *pairs)

    def hsetnx(self, key: str, name: str, value: Any) -> FencedWrite:
        return self._add("hsetnx", key, name, str(value))

    def hdel(self, key: str, *names: str) -> FencedWrite:
        return self._add("hdel", key, *names)

    def hincrby(self, key: str, name: str, amount: int = 1) -> FencedWrite:
        return self._add("hincrby", key, name, amount)

    def event(self, name: str, data: dict) -> FencedWrite:
        """A dashboard event, published only if the writes are applied (and in the same step)."""
        return self._add("event", STREAM_KEY, stream_maxlen(), checked_event(name), encode_data(data), CHANNEL)

    def commit(self) -> bool:
        """True if applied; False if the writer is fenced off (nothing was written)."""
        if not self._args:
            return True
        script = self.client.register_script(_FENCED_WRITE)  # EVALSHA, loading the script again if Redis lost it
        generation = "" if self.generation is None else str(self.generation)
        return bool(script(keys=self._keys, args=[generation, *self._args]))
