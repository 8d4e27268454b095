"""Process-wide slots of a worker: per account, its live bot and its listener; once per process, the Celery consumer.

Bot commands run as Celery tasks in the process whose listener holds the account (routed to the account's queue,
which only that process consumes), and find the account's live bot here. Nothing else in the process should hold
a reference to a bot. A worker may run several accounts (wechat/workers/placer.py): every slot is keyed by account;
`account=None` means the process's default account (WECHAT_ACCOUNT, set when the worker starts).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_default = "default"
_bots: dict[str, Any] = {}
_listeners: dict[str, Any] = {}
_consumer: Any = None


class BotNotReady(Exception):
    """No logged-in bot for the account in this process."""


def set_default_account(account: str) -> None:
    global _default
    _default = account


def _name(account: str | None) -> str:
    return account or _default


def set_bot(bot: Any, account: str | None = None) -> None:
    with _lock:
        if bot is None:
            _bots.pop(_name(account), None)
        else:
            _bots[_name(account)] = bot


def clear_bot(account: str | None = None) -> None:
    set_bot(None, account)


def current_bot(account: str | None = None) -> Any:
    bot = _bots.get(_name(account))
    # A seam driver (wechat/bot/driver_listener.py) is set only while logged in; a wxpy Bot says so itself.
    if bot is None or not getattr(bot, "alive", True):
        raise BotNotReady("WeChat is not logged in")
    return bot


def set_consumer(consumer: Any) -> None:
    global _consumer
    _consumer = consumer


def consumer() -> Any:
    return _consumer


def set_listener(listener: Any, account: str | None = None) -> None:
    with _lock:
        if listener is None:
            _listeners.pop(_name(account), None)
        else:
            _listeners[_name(account)] = listener


def clear_listener(listener: Any, account: str | None = None) -> None:
    """Empty the slot only if it still holds `listener` (a successor in the same process may have taken it)."""
    with _lock:
        if _listeners.get(_name(account)) is listener:
            _listeners.pop(_name(account), None)


def current_listener(account: str | None = None) -> Any:
    return _listeners.get(_name(account))


def listeners() -> dict[str, Any]:
    """account → the listener running it in this process."""
    with _lock:
        return dict(_listeners)
