"""Unread counts in Redis, pushed to browsers as SSE `notification` events at most once a second."""

from __future__ import annotations

import threading

from libs.events import publish
from wechat.state import BotState

THROTTLE_MS = 1000


def unread(state: BotState) -> int:
    return int(state.client.get(state.key("unread")) or 0)


def publish_unread(state: BotState) -> int:
    count = unread(state)
    state.client.delete(state.key("unread:pending"))
    publish("notification", {"unread": count}, client=state.client)
    return count


def clear_unread(state: BotState) -> None:
    state.client.set(state.key("unread"), 0)
    publish_unread(state)


def message_arrived(state: BotState) -> None:
    """Count one unread message and tell browsers now, or within a second if we told them less than one ago."""
    client = state.client
    client.incr(state.key("unread"))
    if client.set(state.key("unread:throttle"), 1, nx=True, px=THROTTLE_MS):
        publish_unread(state)
    elif client.set(state.key("unread:pending"), 1, nx=True, px=5 * THROTTLE_MS):
        timer = threading.Timer(THROTTLE_MS / 1000, _flush_pending, args=(state,))
        timer.daemon = True
        timer.start()


def _flush_pending(state: BotState) -> None:
    if state.client.exists(state.key("unread:pending")):
        state.client.set(state.key("unread:throttle"), 1, px=THROTTLE_MS)
        publish_unread(state)
