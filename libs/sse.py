"""Server-sent events: one Redis subscriber per web process fanning events out to its SSE clients.

A thousand browsers on one process must not mean a thousand Redis connections, so each process has ONE hub
(per Redis URL): a daemon thread that holds the pub/sub connection and copies every event into the bounded queue
of each connected client. Under gunicorn's gevent worker `threading` and `queue` are monkey-patched, so the hub
is a greenlet and a waiting client costs a greenlet, not a thread; the threaded dev server and the Flask test
client use real threads with the same code.

Ordering: libs/events.py publishes atomically, so the channel delivers events in stream-id order. A client
registers its queue first and reads the Stream after, then drops queued events it already sent (id <= last sent):
no gap and no duplicate between replay and live. A client that falls behind (full queue) is dropped; its browser
reconnects with Last-Event-ID and replays from the Stream.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import redis

from libs.events import CHANNEL, STREAM_KEY

logger = logging.getLogger(__name__)

EVENT_ID_PATTERN = re.compile(r"^\d{1,20}-\d{1,20}$")
MAX_ID_PART = 2**64 - 1
READY_TIMEOUT = 5.0
_RECONNECT_DELAY = 1.0
_REPLAY_BATCH = 500
HEARTBEAT = b": heartbeat\n\n"


@dataclass(frozen=True)
class Event:
    id: str
    event: str
    data: str  # JSON text, already HTML-safe (libs.events.encode_data)

    @cached_property
    def wire(self) -> bytes:
        """The event as sent, encoded once: the hub hands the same Event to every client of the process, and a
        thousand clients each formatting and encoding it was a measurable part of a fan-out."""
        return f"id: {self.id}\nevent: {self.event}\ndata: {self.data}\n\n".encode()


def id_key(event_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = event_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def valid_event_id(value: str | None) -> str | None:
    """A client-supplied Last-Event-ID, or None when it is absent or not a stream id. Both parts of a Redis
    stream id are unsigned 64-bit: a larger one made XRANGE fail after the stream had answered 200."""
    value = (value or "").strip()
    if not EVENT_ID_PATTERN.match(value) or max(id_key(value)) > MAX_ID_PART:
        return None
    return value


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entry_event(entry_id, fields: dict) -> Event:
    fields = {_text(key): _text(value) for key, value in fields.items()}
    return Event(_text(entry_id), fields.get("event", ""), fields.get("data", "{}"))


def read_after(client: redis.Redis, last_id: str) -> tuple[list[Event], bool]:
    """Events after last_id from the Stream, and whether history was trimmed past it (the client missed some)."""
    events: list[Event] = []
    start = f"({last_id}"
    while True:
        batch = client.xrange(STREAM_KEY, min=start, max="+", count=_REPLAY_BATCH)
        events.extend(_entry_event(entry_id, fields) for entry_id, fields in batch)
        if len(batch) < _REPLAY_BATCH:
            break
        start = f"({_text(batch[-1][0])}"
    first = client.xrange(STREAM_KEY, count=1)
    trimmed = not first or id_key(_text(first[0][0])) > id_key(last_id)
    return events, trimmed


def latest_id(client: redis.Redis) -> str | None:
    newest = client.xrevrange(STREAM_KEY, count=1)
    return _text(newest[0][0]) if newest else None


@dataclass(eq=False)
class Subscriber:
    queue: queue.Queue
    dropped: bool = False


class EventHub:
    """The process's single Redis subscriber; call subscribe() per SSE client and unsubscribe() when it leaves."""

    def __init__(self, redis_url: str) -> None:
        self.subscribers: set[Subscriber] = set()
        self.last_id: str | None = None  # the newest event dispatched, to skip overlaps after a reconnect
        # No socket_timeout: the pub/sub read waits for events; health checks (PING) detect a dead connection.
        # TCP keepalive only over TCP: redis-py's unix-socket connection refuses the option.
        keepalive = {} if redis_url.startswith("unix:") else {"socket_keepalive": True}
        self.client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, health_check_interval=30,
                                           **keepalive)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._outage_logged = False

    def subscribe(self, queue_size: int) -> Subscriber:
        """Register a client queue; raises TimeoutError when the hub cannot reach Redis."""
        self._ensure_running()
        if not self._ready.wait(READY_TIMEOUT):
            raise TimeoutError("event hub is not connected to Redis")
        subscriber = Subscriber(queue.Queue(maxsize=queue_size))
        with self._lock:
            self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self.subscribers.discard(subscriber)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(READY_TIMEOUT)

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="sse-hub", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            pubsub = self.client.pubsub()
            try:
                self._listen(pubsub)
            except redis.RedisError as error:
                if not self._outage_logged:  # once per outage, not once a second
                    logger.warning("SSE hub cannot reach Redis (%s); retrying every %ss", error, _RECONNECT_DELAY)
                    self._outage_logged = True
                self._stopping.wait(_RECONNECT_DELAY)
            except Exception:  # the hub must outlive any bug: without it no client of this process gets events
                logger.exception("SSE hub failed; restarting")
                self._stopping.wait(_RECONNECT_DELAY)
            finally:
                self._ready.clear()
                pubsub.close()

    def _listen(self, pubsub: redis.client.PubSub) -> None:
        pubsub.subscribe(CHANNEL)
        while (message := pubsub.get_message(timeout=READY_TIMEOUT)) is None or message["type"] != "subscribe":
            if self._stopping.is_set():
                return
        # After a reconnect, whatever was published while we were away is in the Stream: send it first.
        if self.last_id is not None:
            for event in read_after(self.client, self.last_id)[0]:
                self._dispatch(event)
        self._ready.set()
        self._outage_logged = False
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "message":
                parts = _text(message["data"]).split("\n", 2)
                if len(parts) == 3 and valid_event_id(parts[0]):
                    self._dispatch(Event(*parts))

    def _dispatch(self, event: Event) -> None:
        if self.last_id is not None and id_key(event.id) <= id_key(self.last_id):
            return  # already sent (backfill and live overlap)
        self.last_id = event.id
        with self._lock:
            subscribers = list(self.subscribers)
        for subscriber in subscribers:
            try:
                subscriber.queue.put_nowait(event)
            except queue.Full:
                # A slow client must not hold the others back: drop it; it reconnects and replays from the Stream.
                subscriber.dropped = True
                self.unsubscribe(subscriber)


_hubs: dict[tuple[int, str], EventHub] = {}
_hubs_lock = threading.Lock()


def get_hub(redis_url: str) -> EventHub:
    """The hub of this process for this Redis (keyed by pid too: a forked worker must not share its parent's)."""
    key = (os.getpid(), redis_url)
    with _hubs_lock:
        hub = _hubs.get(key)
        if hub is None:
            hub = _hubs[key] = EventHub(redis_url)
        return hub


@dataclass
class StreamOptions:
    last_id: str | None
    wanted: frozenset[str] | None  # None: every event
    heartbeat_seconds: float
    retry_ms: int
    queue_size: int
    # The WeChat accounts whose events this client may see (None: all). An event names its account in its data's
    # `account_id`; one that names none is about the live bot (login, listener, sync, unread), passed when
    # `slot_events` says the client may see the account the bot runs.
    accounts: frozenset[int] | None = None
    slot_events: bool = True

    def shows(self, event: Event) -> bool:
        if self.wanted is not None and event.event not in self.wanted:
            return False
        if self.accounts is None:
            return True
        if '"account_id":' not in event.data:  # cheap: most clients (owners) never get here
            return self.slot_events
        try:
            account = json.loads(event.data).get("account_id")
        except (ValueError, AttributeError):
            return False
        return account in self.accounts if account is not None else self.slot_events


def event_stream(hub: EventHub, client: redis.Redis, subscriber: Subscriber,
                 options: StreamOptions) -> Iterator[bytes]:
    """The body of one SSE response: retry, replay after last_id, then live events and heartbeats until closed.

    The subscriber must already be registered (before the Stream is read) so no event falls between the two.
    The WSGI server closes the generator when the client goes away; `finally` then unregisters it.
    """
    try:
        yield f"retry: {options.retry_ms}\n\n".encode()
        sent = options.last_id
        if sent is not None:
            replay, trimmed = read_after(client, sent)
            if trimmed:
                # History after the client's id is gone: tell the page to reload its state instead of trusting it.
                yield b'event: reset\ndata: {"reason":"history trimmed"}\n\n'
            for event in replay:
                sent = event.id
                if options.shows(event):
                    yield event.wire
        elif (latest := latest_id(client)) is not None:
            # An id without data sets the browser's Last-Event-ID, so even a first reconnect loses nothing. Queued
            # events up to `latest` came after the subscription, so they are still new to this client: no dedupe.
            yield f"id: {latest}\n\n".encode()
        while not subscriber.dropped:
            try:
                event = subscriber.queue.get(timeout=options.heartbeat_seconds)
            except queue.Empty:
                yield HEARTBEAT
                continue
            if sent is not None and id_key(event.id) <= id_key(sent):
                continue
            sent = event.id
            if options.shows(event):
                yield event.wire
    finally:
        hub.unsubscribe(subscriber)
