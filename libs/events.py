"""Publish live events for the dashboard (SSE at /stream) from any process: web, Celery worker, beat.

Every event is appended to a capped Redis Stream and announced on one pub/sub channel, both in one Lua script:
- the Stream keeps the recent history, so a reconnecting browser replays what it missed (its `Last-Event-ID` is
  the stream id);
- the channel lets each web process run ONE subscriber that fans events out to its SSE clients;
- the script is atomic, so the channel delivers events in exactly stream-id order, which is what lets a client
  switch from replay to live without gaps or duplicates (see libs/sse.py).

Data from WeChat users is hostile: payloads are JSON only, with `<`, `>` and `&` escaped, so the text stays inert
even if a careless consumer ever puts it into HTML.
"""

from __future__ import annotations

import json

import redis
from flask import current_app, has_app_context
from redis.client import Pipeline

# The events publish() accepts. The browser (static/js/live.js) listens to exactly these plus STREAM_EVENTS, and
# gets the names from the page (libs/page_data.py), never from a copy of its own.
EVENT_NAMES = frozenset({"login", "notification", "sync", "message", "listener", "job"})
# Events only the SSE stream itself sends to one client: `reset` (its history is gone: reload, libs/sse.py) and
# `revoked` (its session ended: stop, libs/sse_revocation.py). Never published.
STREAM_EVENTS = frozenset({"reset", "revoked"})
STREAM_KEY = "wechat-admin:events"
CHANNEL = "wechat-admin:events:live"
DEFAULT_STREAM_MAXLEN = 1000
# Events are notifications, not storage: send ids and summaries, let the page fetch the rest from the API.
MAX_DATA_BYTES = 64 * 1024

# KEYS: stream, channel. ARGV: maxlen, event, data. The channel message is "<id>\n<event>\n<data>".
_PUBLISH_SCRIPT = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2], 'data', ARGV[3])
redis.call('PUBLISH', KEYS[2], id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])
return id
"""

# The same, for several events in one call: ARGV is maxlen, then event, data, event, data... Each event is its own
# Stream entry and channel message, exactly as publish() makes them; returns their ids in order.
_PUBLISH_MANY_SCRIPT = """
local ids = {}
for i = 2, #ARGV, 2 do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[i], 'data', ARGV[i + 1])
  redis.call('PUBLISH', KEYS[2], id .. '\\n' .. ARGV[i] .. '\\n' .. ARGV[i + 1])
  ids[#ids + 1] = id
end
return ids
"""

_HTML_SAFE_PAIRS = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029"))


def encode_data(data: dict) -> str:
    """One-line JSON (no raw newline can end an SSE `data:` line early) with HTML-significant characters escaped."""
    if not isinstance(data, dict):
        raise TypeError(f"event data must be a dict, got {type(data).__name__}")
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _HTML_SAFE_PAIRS:  # str.replace per character: several times faster than a translate table
        if char in text:
            text = text.replace(char, escaped)
    if len(text.encode()) > MAX_DATA_BYTES:
        raise ValueError(f"event data is larger than {MAX_DATA_BYTES} bytes; send an id and let the page fetch it")
    return text


def _default_client() -> redis.Redis:
    if not has_app_context():
        raise RuntimeError("publish() outside an app context needs a Redis client: publish(..., client=...)")
    from libs.redis_client import get_redis

    return get_redis()


def stream_maxlen() -> int:
    if has_app_context():
        return int(current_app.config.get("SSE_STREAM_MAXLEN", DEFAULT_STREAM_MAXLEN))
    return DEFAULT_STREAM_MAXLEN


def checked_event(event: str) -> str:
    if event not in EVENT_NAMES:
        raise ValueError(f"unknown event {event!r}; expected one of {sorted(EVENT_NAMES)}")
    return event


def _text(event_id) -> str:
    return event_id.decode() if isinstance(event_id, bytes) else str(event_id)


def publish(event: str, data: dict, client: redis.Redis | None = None) -> str:
    """Record and broadcast one event; return its stream id (the SSE `id:`).

    `client` defaults to the current app's Redis (web requests and Celery tasks both have an app context).
    """
    text = encode_data(data)
    client = client or _default_client()
    event_id = client.eval(_PUBLISH_SCRIPT, 2, STREAM_KEY, CHANNEL, stream_maxlen(), checked_event(event), text)
    return _text(event_id)


def publish_many(events: list[tuple[str, dict]], client: redis.Redis | Pipeline | None = None) -> list[str] | None:
    """Record and broadcast several events in one script call (one round trip instead of one per event); the
    Stream entries and channel messages are the same as from publish() one by one.

    With a pipeline as `client` the call is only queued (returns None; the pipeline's result for it is the list of
    ids). Events are checked and encoded before anything is sent, so a bad one publishes none.
    """
    args: list[str] = []
    for event, data in events:
        args += [checked_event(event), encode_data(data)]
    queued = isinstance(client, Pipeline)
    if not args:
        return None if queued else []
    client = client if client is not None else _default_client()
    ids = client.eval(_PUBLISH_MANY_SCRIPT, 2, STREAM_KEY, CHANNEL, stream_maxlen(), *args)
    return None if queued else [_text(event_id) for event_id in ids]
