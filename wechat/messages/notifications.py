"""Unread counts in Redis, pushed to browsers as SSE `notification` events at most once a second."""

from __future__ import annotations

import threading

from redis.client import Pipeline

from libs.events import publish, publish_many
from wechat.bot.state import BotState

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


def queue_arrived(state: BotState, pipe: Pipeline, count: int = 1) -> None:
    """Queue the counting of `count` unread messages on a pipeline (the archive sends it once per batch, with its
    events); pass the pipeline's results for these commands to `after_arrived`."""
    pipe.incrby(state.key("unread"), count)
    pipe.set(state.key("unread:throttle"), 1, nx=True, px=THROTTLE_MS)
    pipe.set(state.key("unread:pending"), 1, nx=True, px=5 * THROTTLE_MS)


def after_arrived(state: BotState, results: list) -> None:
    """Tell browsers now if nobody told them in the last second, else make sure they hear within a second."""
    total, throttle_taken, newly_pending = results
    if isinstance(total, Exception):
        return
    if throttle_taken is True:
        pipe = state.client.pipeline(transaction=False)
        pipe.delete(state.key("unread:pending"))
        publish_many([("notification", {"unread": int(total)})], client=pipe)
        pipe.execute()
    elif newly_pending is True:
        timer = threading.Timer(THROTTLE_MS / 1000, _flush_pending, args=(state,))
        timer.daemon = True
        timer.start()


def _flush_pending(state: BotState) -> None:
    if state.client.exists(state.key("unread:pending")):
        state.client.set(state.key("unread:throttle"), 1, px=THROTTLE_MS)
        publish_unread(state)
