"""A seam driver's events, kept in Redis between the moment they are received and the moment they are handled.

A gateway pushes each message once and moves on (its position advances as it pushes; drivers/padpro), so events
held only in the worker's memory die with it. The driver listener's receiver writes every polled event here at
once, and the dispatcher takes them from here and removes them only after their batch was handled (the archive
committed): a worker killed mid-burst leaves the rest to the next listener, which handles them first; the
archive's msg_id dedupe makes a re-handled event harmless. Events are stored as JSON (never pickle: whoever can
write to Redis must not be able to run code in the worker).

A driver that reads again after a crash (its delivery checkpoint, drivers/interface.py) hands out events that were
already spooled: `put` keeps the last `SEEN_MAX` spooled server ids in Redis and spools an id only once, in the
same script as the push (a worker killed between the two cannot mark an event seen without spooling it).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import logging
import typing
from collections.abc import Callable
from typing import Any

from drivers import types as seam

logger = logging.getLogger(__name__)

EVENT_CLASSES = {cls.__name__: cls for cls in (seam.MessageEvent, seam.FriendRequestEvent, seam.GroupNoteEvent,
                                                seam.RecallEvent, seam.ChatsListedEvent, seam.GroupLeftEvent,
                                                seam.LoginStateEvent, seam.LogoutEvent)}
SPOOL_MAX = 200_000  # events kept at most (a dispatcher stuck for hours must not fill Redis)
SEEN_MAX = 50_000  # spooled server ids remembered (a re-read after a crash covers far fewer)

# KEYS: the spool list, the seen ids (sorted set). ARGV: SPOOL_MAX, SEEN_MAX, then (msg_id, JSON) pairs; an empty
# msg_id is always spooled. Scores count up, so the oldest ids are the ones forgotten.
_PUT_ONCE = """
local added = 0
local base = tonumber(redis.call('ZCARD', KEYS[2]) > 0 and
                      redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2] or 0)
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  if id == '' or redis.call('ZADD', KEYS[2], 'NX', base + 1, id) == 1 then
    if id ~= '' then base = base + 1 end
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    added = added + 1
  end
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[2]) - 1)
return added
"""


def dump(event: Any) -> str:
    fields = {name: _plain(getattr(event, name)) for name, _ in _field_converters(type(event))}
    return json.dumps({"type": type(event).__name__, "fields": fields}, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def load(raw: bytes | str) -> Any | None:
    """The event, or None (logged) for anything that is not one of ours, well-formed."""
    try:
        data = json.loads(raw)
        cls = EVENT_CLASSES[data["type"]]
        fields = data["fields"]
        return cls(**{name: convert(fields[name]) for name, convert in _field_converters(cls) if name in fields})
    except Exception as exc:  # noqa: BLE001 - a bad entry is dropped, never crashes the dispatcher
        logger.warning("dropping a malformed spooled event: %s", exc)
        return None


@functools.cache
def _field_converters(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(field name, JSON value -> field value) of an event class's spooled fields; a protocol's own object
    (seam.LOCAL_FIELDS) stays in its process. Resolving the type hints evaluates every annotation, which was most of
    a spooled event's cost (0.4 ms each): once per class."""
    hints = typing.get_type_hints(cls, vars(seam))
    return tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)
                 if f.name not in seam.LOCAL_FIELDS)


def _converter(hint: Any) -> Callable[[Any], Any]:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if typing.get_origin(hint) is tuple:
        if typing.get_origin(typing.get_args(hint)[0]) is tuple:  # pairs such as MessageEvent.articles
            return lambda value: tuple(tuple(str(part) for part in item) for item in value)
        return lambda value: tuple(str(item) for item in value)
    if hint in (str, int, bool):
        def checked(value: Any) -> Any:
            if not isinstance(value, hint):
                raise ValueError(f"expected {hint.__name__}, got {type(value).__name__}")
            return value
        return checked
    return lambda value: value  # optional fields and the rest: as JSON gave them


class EventSpool:
    def __init__(self, client, key: str, seen_key: str | None = None) -> None:
        self.client = client
        self.key = key
        self.seen_key = seen_key or f"{key}:seen"
        self._put_once = client.register_script(_PUT_ONCE)

    def put(self, events: list[Any]) -> int:
        """Spool the events whose server id was not spooled before (and every event without one); how many."""
        if not events:
            return 0
        args: list[Any] = [SPOOL_MAX, SEEN_MAX]
        for event in events:
            args += [str(getattr(event, "msg_id", "") or ""), dump(event)]
        return int(self._put_once(keys=[self.key, self.seen_key], args=args))

    def peek(self, count: int) -> list[Any]:
        """The oldest `count` entries as events (malformed ones as None, so `done(len)` still removes them)."""
        return [load(raw) for raw in self.client.lrange(self.key, 0, count - 1)]

    def done(self, count: int) -> None:
        if count:
            self.client.ltrim(self.key, count, -1)

    def size(self) -> int:
        return int(self.client.llen(self.key))
