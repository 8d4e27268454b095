"""A seam driver's events, kept in Redis between the moment they are received and the moment they are handled.

A gateway pushes each message once and moves on (its position advances as it pushes; drivers/padpro), so events
held only in the worker's memory die with it. The driver listener's receiver writes every polled event here at
once, and the dispatcher takes them from here and removes them only after their batch was handled (the archive
committed): a worker killed mid-burst leaves the rest to the next listener, which handles them first; the
archive's msg_id dedupe makes a re-handled event harmless. Events are stored as JSON (never pickle: whoever can
write to Redis must not be able to run code in the worker).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import typing
from typing import Any

from drivers import types as seam

logger = logging.getLogger(__name__)

EVENT_CLASSES = {cls.__name__: cls for cls in (seam.MessageEvent, seam.FriendRequestEvent, seam.GroupNoteEvent,
                                                seam.RecallEvent, seam.ChatsListedEvent, seam.LoginStateEvent,
                                                seam.LogoutEvent)}
SPOOL_MAX = 200_000  # events kept at most (a dispatcher stuck for hours must not fill Redis)


def dump(event: Any) -> str:
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)
              if f.name not in seam.LOCAL_FIELDS}  # a protocol's object stays in its process
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
        hints = typing.get_type_hints(cls, vars(seam))
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in data["fields"] and f.name not in seam.LOCAL_FIELDS:
                values[f.name] = _typed(hints[f.name], data["fields"][f.name])
        return cls(**values)
    except Exception as exc:  # noqa: BLE001 - a bad entry is dropped, never crashes the dispatcher
        logger.warning("dropping a malformed spooled event: %s", exc)
        return None


def _typed(hint: Any, value: Any) -> Any:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    origin = typing.get_origin(hint)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        if typing.get_origin(inner) is tuple:  # pairs such as MessageEvent.articles
            return tuple(tuple(str(part) for part in item) for item in value)
        return tuple(str(v) for v in value)
    if hint in (str, int, bool) and not isinstance(value, hint):
        raise ValueError(f"expected {hint.__name__}, got {type(value).__name__}")
    return value


class EventSpool:
    def __init__(self, client, key: str) -> None:
        self.client = client
        self.key = key

    def put(self, events: list[Any]) -> None:
        if events:
            pipe = self.client.pipeline(transaction=True)
            pipe.rpush(self.key, *(dump(event) for event in events))
            pipe.ltrim(self.key, -SPOOL_MAX, -1)
            pipe.execute()

    def peek(self, count: int) -> list[Any]:
        """The oldest `count` entries as events (malformed ones as None, so `done(len)` still removes them)."""
        return [load(raw) for raw in self.client.lrange(self.key, 0, count - 1)]

    def done(self, count: int) -> None:
        if count:
            self.client.ltrim(self.key, count, -1)

    def size(self) -> int:
        return int(self.client.llen(self.key))
