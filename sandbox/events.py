"""The account's ordered event log (messages and contact changes) and the SyncKey that points into it.

webwxsync returns everything after the position a SyncKey encodes, so an old key re-delivers, as on the
real service. Long pollers (synccheck) sleep on a gevent Event that every append wakes.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from gevent.event import Event

# Real MsgIds are 19-digit strings; start from the clock so ids stay unique across resets in one process.
_msg_ids = itertools.count(int(time.time() * 1000) * 1000 + 1_000_000_000_000_000_000)
SYNC_KEYS = (1, 2, 3, 11, 201, 1000)  # the Key numbers the real service uses


def next_msg_id() -> int:
    return next(_msg_ids)


@dataclass(slots=True)
class Message:
    """One AddMsgList entry in stable ids; ``wire.py`` renders it for a session."""

    msg_id: int
    msg_type: int
    from_id: str
    to_id: str
    text: str = ""  # text, or the XML body for media / app messages (unescaped)
    member_id: str = ""  # the real sender inside a group
    app_msg_type: int = 0
    file_name: str = ""
    file_size: int = 0
    media_id: str = ""
    url: str = ""
    recommend_id: str = ""  # the person in a card (42) or friend request (37)
    ticket: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    create_time: int = field(default_factory=lambda: int(time.time()))


@dataclass(slots=True)
class ContactChange:
    """A contact to push in ModContactList (or DelContactList when ``deleted``)."""

    entity_id: str
    deleted: bool = False


class EventLog:
    def __init__(self) -> None:
        self.entries: list[Message | ContactChange] = []
        self._changed = Event()

    @property
    def position(self) -> int:
        return len(self.entries)

    def append(self, entry: Message | ContactChange) -> int:
        self.entries.append(entry)
        self.notify()
        return len(self.entries)

    def notify(self) -> None:
        """Wake every long poller (new entries, or a session that ended)."""
        changed, self._changed = self._changed, Event()
        changed.set()

    def wait(self, timeout: float) -> None:
        self._changed.wait(timeout)

    def since(self, position: int, limit: int) -> list[Message | ContactChange]:
        return self.entries[max(position, 0): max(position, 0) + limit]


def sync_key(position: int) -> dict[str, Any]:
    """The SyncKey dict for a log position (every numbered key carries it; 1000 is a clock like the real one)."""
    now = int(time.time())
    return {"Count": len(SYNC_KEYS),
            "List": [{"Key": k, "Val": now if k in (201, 1000) else position} for k in SYNC_KEYS]}


def position_from_sync_key(value: Any) -> int | None:
    """Key 1's Val from a SyncKey dict (webwxsync) or a '1_5|2_5|…' string (synccheck); None if malformed."""
    try:
        if isinstance(value, dict):
            items = {int(i["Key"]): int(i["Val"]) for i in value["List"]}
        else:
            items = {int(k): int(v) for k, v in (part.split("_", 1) for part in str(value).split("|"))}
        return items[1]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class SentLog:
    """Everything the bot sent or did, in order, for /_sandbox/sent."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        entry = {"seq": len(self.entries) + 1, "kind": kind, "time": time.time(), **fields}
        self.entries.append(entry)
        return entry

    def since(self, seq: int) -> list[dict[str, Any]]:
        return self.entries[max(seq, 0):]
