"""Process-wide slots of the worker that holds the bot: the bot itself and the Celery consumer.

Bot commands run as Celery tasks in this same process (routed to a queue only this process consumes), and find
the live bot here. Nothing else in the process should hold a reference to the bot.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_bot: Any = None
_consumer: Any = None
_listener: Any = None


class BotNotReady(Exception):
    """No logged-in bot in this process."""


def set_bot(bot: Any) -> None:
    global _bot
    with _lock:
        _bot = bot


def clear_bot() -> None:
    set_bot(None)


def current_bot() -> Any:
    bot = _bot
    # A seam driver (wechat/driver_listener.py) is set only while logged in; a wxpy Bot says so itself.
    if bot is None or not getattr(bot, "alive", True):
        raise BotNotReady("WeChat is not logged in")
    return bot


def set_consumer(consumer: Any) -> None:
    global _consumer
    _consumer = consumer


def consumer() -> Any:
    return _consumer


def set_listener(listener: Any) -> None:
    global _listener
    _listener = listener


def current_listener() -> Any:
    return _listener
