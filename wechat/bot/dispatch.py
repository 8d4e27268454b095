"""Every event a driver reports, handed to our handlers in order, a batch at a time.

Handlers see the seam's neutral events (drivers.types) on every driver. On the itchat driver the bot gets one
catch-all wxpy handler, run synchronously in wxpy's listening loop (messages are handled in the order WeChat
delivered them), which turns each wxpy Message into its event (drivers/itchat/events.py) and dispatches it; a
seam driver's events come from wechat/bot/driver_listener.py. Each handler runs inside an app context; a failing
handler is logged and the others still run.

Batches: itchat fetches up to hundreds of messages per webwxsync, and one commit per message was most of the
loop's cost. So a handler may *collect* messages and register a `flush` that stores them all at once; the
dispatcher calls it at the end of each batch (the bot's queue is empty, see drivers/itchat/connection.py) or when
`batch_size` messages wait. The handlers after a collecting one run once its flush has committed, per message and
in order (nothing reacts to a message that is not stored yet), and a message is reported handled — which lets the
checkpoint move the SyncKey past it — only after every flush of its batch succeeded.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from wechat.bot.batch import Batch
from wechat.bot.state import BotState

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # messages per flush at most: bounds the latency of the first ones and the size of a statement


@dataclass
class BotContext:
    """What a message handler may use besides the message: the app (config, DB), Redis state, the bot."""

    app: Flask
    state: BotState
    bot: Any  # the seam driver (drivers.interface.Driver); install_dispatcher puts the itchat driver here
    after_message: list[Callable[[Any], None]] = field(default_factory=list)  # a message is handled (checkpoint)
    cache: dict[str, Any] = field(default_factory=dict)  # per-login memo for handlers (account id, lookups)
    on_halt: Callable[[str], None] = lambda reason: None  # the listener stops the bot (keeping the session)
    halted: str | None = None
    batch: Batch = field(default_factory=Batch)
    batch_size: int = BATCH_SIZE  # 1 when the bot cannot tell where its batches end
    entries: list[Entry] | None = None  # the handlers to run; None: every registered one

    def directory(self):
        """The chat lookup by the driver's ids shared by every handler of this login (wechat/bot/seam.py)."""
        if "directory" not in self.cache:
            from wechat.bot.seam import directory_of

            self.cache["directory"] = directory_of(self.bot)
        return self.cache["directory"]

    def account_id(self) -> int:
        """The Account row of this bot (created on first use)."""
        if "account_id" not in self.cache:
            from extensions import db
            from wechat.accounts import ensure_account

            me = self.directory().me()
            self.cache["account_id"] = ensure_account(me.id, me.nick_name).id
            db.session.commit()
        return self.cache["account_id"]


Handler = Callable[[Any, BotContext], None]
Flush = Callable[[BotContext], None]


@dataclass(frozen=True)
class Entry:
    priority: int
    name: str
    handler: Handler
    flush: Flush | None = None  # set for a collecting handler: stores what it collected, at the end of a batch


# Lower priority runs first. The received counter (-100), the archive stores before anything reacts (0), then the
# built-in bookkeeping (10), automation (50), plugins (100).
_HANDLERS: list[Entry] = []
# Called before the first message of each batch (e.g. to see whether cached settings changed).
_BATCH_START: dict[str, Callable[[BotContext], None]] = {}
# Called once a batch is handled (the itchat driver lets go of the batch's wxpy Messages).
_BATCH_END: dict[str, Callable[[BotContext], None]] = {}


def message_handler(name: str, priority: int = 50, flush: Flush | None = None) -> Callable[[Handler], Handler]:
    """Decorator: run `handler(event, ctx)` for every event the bot sees (its own messages included): the seam's
    neutral events (drivers.types), on every driver.

    With `flush`, the handler only collects (e.g. in `ctx.batch`) and `flush(ctx)` stores the batch; it may raise
    MustNotLose. Handlers of a higher priority see a message only after that flush.
    """

    def register(handler: Handler) -> Handler:
        _HANDLERS[:] = [entry for entry in _HANDLERS if entry.name != name]
        _HANDLERS.append(Entry(priority, name, handler, flush))
        _HANDLERS.sort(key=lambda entry: (entry.priority, entry.name))
        return handler

    return register


def on_batch_start(name: str) -> Callable[[Callable[[BotContext], None]], Callable[[BotContext], None]]:
    """Decorator: call `hook(ctx)` before the first message of every batch."""

    def register(hook: Callable[[BotContext], None]) -> Callable[[BotContext], None]:
        _BATCH_START[name] = hook
        return hook

    return register


def handlers() -> list[Entry]:
    return list(_HANDLERS)


class MustNotLose(Exception):
    """Raised by a handler or flush that could not keep a message it must not lose (the archive when the database
    stays unavailable). Nothing from then on is reported handled, and the bot is stopped without logging out: the
    session saved before this batch makes WeChat deliver it again after the restart."""


def stages(entries: list[Entry]) -> list[list[Entry]]:
    """The handlers split after each collecting one: stage n+1 runs once stage n's flush has committed."""
    result: list[list[Entry]] = [[]]
    for entry in entries:
        result[-1].append(entry)
        if entry.flush is not None:
            result.append([])
    return result


def _halt(ctx: BotContext, exc: MustNotLose) -> None:
    logger.error("messages could not be kept (%s); stopping to receive them again after a restart", exc)
    ctx.halted = str(exc)
    ctx.batch = Batch()
    ctx.on_halt(f"halted: {exc}")


def _run(entries: list[Entry], msg: Any, ctx: BotContext) -> bool:
    """Run handlers on one message; False when one of them halted the loop."""
    with ctx.app.app_context():
        for entry in entries:
            started = time.monotonic()
            try:
                entry.handler(msg, ctx)
            except MustNotLose as exc:
                _halt(ctx, exc)
                return False
            except Exception:
                logger.exception("message handler %s failed on message %s", entry.name, getattr(msg, "id", "?"))
            elapsed = time.monotonic() - started
            if elapsed > 2:
                logger.warning("message handler %s took %.1fs (it blocks the message loop)", entry.name, elapsed)
    return True


def _flush(entry: Entry, ctx: BotContext) -> bool:
    """Run a collecting handler's flush; False when it halted the loop."""
    with ctx.app.app_context():
        try:
            entry.flush(ctx)
        except MustNotLose as exc:
            _halt(ctx, exc)
            return False
        except Exception:
            logger.exception("flush of %s failed", entry.name)
    _send_redis(ctx)  # after the commit: the events name stored rows
    return True


def _send_redis(ctx: BotContext) -> None:
    if ctx.state is not None:
        ctx.batch.send_redis(ctx.state.client, ctx.state.account)


def dispatch(msg: Any, ctx: BotContext, source: Any = None) -> None:
    """Run the handlers on event `msg`; `source` (the itchat driver's wxpy Message) is what the `after_message`
    callbacks get once it is handled (default: the event itself)."""
    if ctx.halted:
        return  # not handled, not reported: re-delivered after the restart
    if not ctx.batch.messages:
        for name, hook in list(_BATCH_START.items()):
            try:
                hook(ctx)
            except Exception:
                logger.exception("batch start hook %s failed", name)
    all_stages = stages(ctx.entries if ctx.entries is not None else _HANDLERS)
    if not _run(all_stages[0], msg, ctx):
        return
    ctx.batch.messages.append((msg, msg if source is None else source))
    if len(all_stages) == 1 or len(ctx.batch.messages) >= ctx.batch_size:  # nothing collects, or a full batch
        end_batch(ctx)


def end_batch(ctx: BotContext, last: Any = None) -> None:
    """Flush the collecting handlers, run the later handlers on each message of the batch, report them handled.

    `last` is the last message the bot took from its queue, which wxpy may not have dispatched (it skips System
    messages): once everything before it is handled it can be reported too, so the checkpoint moves past it.
    """
    if ctx.halted:
        return
    messages = ctx.batch.messages
    all_stages = stages(ctx.entries if ctx.entries is not None else _HANDLERS) if messages else []
    for number, stage in enumerate(all_stages):
        if number:  # the first stage ran as each message arrived
            for msg, _ in messages:
                if msg is not None and not _run(stage, msg, ctx):
                    return
        if stage and stage[-1].flush is not None and not _flush(stage[-1], ctx):
            return
    _send_redis(ctx)
    ctx.batch.messages = []
    for hook in list(_BATCH_END.values()):
        hook(ctx)
    sources = [source for _, source in messages]
    for msg in [*sources, last] if last is not None else sources:
        for callback in ctx.after_message:
            callback(msg)


# Modules whose @message_handler functions every bot runs; a feature adds its module here.
HANDLER_MODULES = ("wechat.bot.builtin_handlers", "wechat.messages.archive", "wechat.automation.handlers",
                   "wechat.plugins.handler", "wechat.insights.handler")


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)


def install_dispatcher(ctx: BotContext) -> None:
    """Wire the itchat driver's held wxpy Bot (`ctx.bot`) to the handlers: its one catch-all handler turns each
    wxpy Message into the neutral event (drivers/itchat/events.py) and dispatches it in the bot's own loop, and its
    batch-end hook ends the dispatcher's batch (so the SyncKey checkpoint follows the archive's commit). From here
    on `ctx.bot` is the ItchatDriver over that Bot."""
    from wechat.bot.driver_factory import itchat

    load_handlers()
    bot = ctx.bot
    driver = itchat.driver_for(bot)
    names = itchat.ChatDirectory(bot)  # UserName -> puid lookups for the conversion
    ctx.bot = driver
    try:  # the account row exists, committed, before the first message (a web request would insert it otherwise,
        # and may hold that write on SQLite while it waits for this bot)
        with ctx.app.app_context():
            ctx.account_id()
    except Exception:
        logger.exception("could not store the account of this login yet")
    _BATCH_END.setdefault("itchat.release_held", lambda done: getattr(done.bot, "release_held", lambda: None)())
    batch_ends = getattr(bot, "batch_end_hooks", None)
    if batch_ends is None:
        ctx.batch_size = 1  # nobody tells us where a batch ends: every message is one
    else:
        batch_ends.append(lambda last: end_batch(ctx, last))

    def on_message(msg):
        if ctx.halted:
            return
        try:
            events = itchat.to_events(msg, names)
        except Exception:  # a message we cannot read is reported handled, never retried forever
            logger.exception("could not read message %s", getattr(msg, "id", "?"))
            events = []
        if not events:  # nothing to handle; reported with its batch (after what came before it is stored)
            ctx.batch.messages.append((None, msg))
            return
        for event in events:
            media_ref = getattr(event, "media_ref", "")
            if media_ref:
                driver.hold(media_ref, msg)
            dispatch(event, ctx, msg)

    # wxpy leaves System messages out of a catch-all registration; itchat's group changes come as one.
    bot.register(except_self=False, run_async=False)(on_message)
    bot.register(msg_types=itchat.SYSTEM_TYPE, except_self=False, run_async=False)(on_message)

