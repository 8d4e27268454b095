"""One wxpy handler that hands every message to our handlers in order.

wxpy gives each message to a single registered handler, but the archive, the automation rules and the plugins
all need to see every message. So the bot gets one catch-all handler, run synchronously in wxpy's listening
loop (messages are handled one at a time, in the order WeChat delivered them), which calls each of our handlers
inside an app context. A failing handler is logged and the others still run.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from wechat.state import BotState

logger = logging.getLogger(__name__)


@dataclass
class BotContext:
    """What a message handler may use besides the message: the app (config, DB), Redis state, the bot."""

    app: Flask
    state: BotState
    bot: Any
    after_message: list[Callable[[Any], None]] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # per-login memo for handlers (account id, lookups)
    on_halt: Callable[[str], None] = lambda reason: None  # the listener stops the bot (keeping the session)
    halted: str | None = None

    def directory(self):
        """The fast chat lookup (libs/wx/directory.py) shared by every handler of this login."""
        if "directory" not in self.cache:
            from libs.wx.directory import ChatDirectory

            self.cache["directory"] = ChatDirectory(self.bot)
        return self.cache["directory"]

    def account_id(self) -> int:
        """The Account row of this bot (created on first use)."""
        if "account_id" not in self.cache:
            from extensions import db
            from wechat.accounts import account_of_bot

            self.cache["account_id"] = account_of_bot(self.bot).id
            db.session.commit()
        return self.cache["account_id"]


Handler = Callable[[Any, BotContext], None]
# (priority, name, handler): lower runs first. The archive stores before anything reacts (0), then the
# built-in bookkeeping (10), automation (50), plugins (100).
_HANDLERS: list[tuple[int, str, Handler]] = []


def message_handler(name: str, priority: int = 50) -> Callable[[Handler], Handler]:
    """Decorator: run `handler(msg, ctx)` for every message the bot sees (its own messages included)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[:] = [entry for entry in _HANDLERS if entry[1] != name]
        _HANDLERS.append((priority, name, handler))
        _HANDLERS.sort(key=lambda entry: (entry[0], entry[1]))
        return handler

    return register


def handlers() -> list[tuple[int, str, Handler]]:
    return list(_HANDLERS)


class MustNotLose(Exception):
    """Raised by a handler that could not keep a message it must not lose (the archive when the database stays
    unavailable). Nothing from then on is reported handled, and the bot is stopped without logging out: the session
    saved before this message makes WeChat deliver it again after the restart."""


def dispatch(msg: Any, ctx: BotContext) -> None:
    if ctx.halted:
        return  # not handled, not reported: re-delivered after the restart
    with ctx.app.app_context():
        for _, name, handler in list(_HANDLERS):
            started = time.monotonic()
            try:
                handler(msg, ctx)
            except MustNotLose as exc:
                logger.error("message %s could not be kept (%s); stopping to receive it again after a restart",
                             getattr(msg, "id", "?"), exc)
                ctx.halted = str(exc)
                ctx.on_halt(f"halted: {exc}")
                return
            except Exception:
                logger.exception("message handler %s failed on message %s", name, getattr(msg, "id", "?"))
            elapsed = time.monotonic() - started
            if elapsed > 2:
                logger.warning("message handler %s took %.1fs (it blocks the message loop)", name, elapsed)
        for callback in ctx.after_message:
            callback(msg)


# Modules whose @message_handler functions every bot runs; a feature adds its module here.
HANDLER_MODULES = ("wechat.builtin_handlers", "wechat.archive", "wechat.automation.handlers",
                   "wechat.plugins.handler")


def install_dispatcher(ctx: BotContext) -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)

    @ctx.bot.register(except_self=False, run_async=False)
    def on_message(msg):
        dispatch(msg, ctx)
