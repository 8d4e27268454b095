"""The dispatcher: every handler sees every message; collecting handlers flush once per batch, the handlers after
them run only after the flush, messages are reported handled only after it; a message that must not be lost halts
the loop."""

import pytest

from wechat.bot import dispatch as dispatch_module
from wechat.bot.dispatch import BotContext, Entry, MustNotLose, dispatch, end_batch, on_batch_start


class FakeMessage:
    def __init__(self, number: int) -> None:
        self.id = number


def context(app, entries, **kwargs) -> tuple[BotContext, list]:
    done: list = []
    ctx = BotContext(app, state=None, bot=None, after_message=[lambda msg: done.append(msg.id)], entries=entries,
                     **kwargs)
    return ctx, done


def test_a_failing_handler_does_not_stop_the_others(app):
    seen = []
    ctx, done = context(app, [Entry(0, "broken", lambda msg, ctx: 1 / 0),
                              Entry(1, "seen", lambda msg, ctx: seen.append(msg.id))])
    dispatch(FakeMessage(1), ctx)
    assert seen == [1] and done == [1]  # no collecting handler: handled at once


def test_must_not_lose_halts_and_reports_nothing_handled(app):
    halts, seen = [], []

    def keeper(msg, ctx):
        if msg.id == 2:
            raise MustNotLose("database unavailable")
        seen.append(msg.id)

    ctx, done = context(app, [Entry(0, "keeper", keeper)], on_halt=halts.append)
    for number in (1, 2, 3):
        dispatch(FakeMessage(number), ctx)
    assert seen == [1] and done == [1]  # 2 failed, 3 came after: neither is reported handled
    assert halts == ["halted: database unavailable"] and ctx.halted


def collecting(log: list, fail_flush=None) -> list[Entry]:
    """count (-1) → collect (0, flushes) → react (50): the log shows what ran when."""
    def flush(ctx):
        batch = ctx.batch.take("test")
        if fail_flush is not None and fail_flush(batch):
            raise MustNotLose("database unavailable")
        log.append(("flush", batch))

    return [Entry(-1, "count", lambda msg, ctx: log.append(("count", msg.id))),
            Entry(0, "collect", lambda msg, ctx: ctx.batch.collect("test", msg.id), flush),
            Entry(50, "react", lambda msg, ctx: log.append(("react", msg.id)))]


def test_later_handlers_and_done_wait_for_the_flush_of_the_batch(app):
    log = []
    ctx, done = context(app, collecting(log))
    for number in (1, 2, 3):
        dispatch(FakeMessage(number), ctx)
    assert log == [("count", 1), ("count", 2), ("count", 3)] and done == []
    end_batch(ctx)
    assert log[3:] == [("flush", [1, 2, 3]), ("react", 1), ("react", 2), ("react", 3)]
    assert done == [1, 2, 3]
    end_batch(ctx)  # an empty batch flushes nothing and reports nothing again
    assert len(log) == 7 and done == [1, 2, 3]


def test_a_full_batch_is_flushed_without_waiting_for_its_end(app):
    log = []
    ctx, done = context(app, collecting(log), batch_size=2)
    for number in (1, 2, 3):
        dispatch(FakeMessage(number), ctx)
    assert ("flush", [1, 2]) in log and done == [1, 2]
    end_batch(ctx)
    assert log[-2:] == [("flush", [3]), ("react", 3)] and done == [1, 2, 3]


def test_a_failed_flush_reports_nothing_of_its_batch_and_halts(app):
    log, halts = [], []
    ctx, done = context(app, collecting(log, fail_flush=lambda batch: 4 in batch), on_halt=halts.append)
    for number in (1, 2):
        dispatch(FakeMessage(number), ctx)
    end_batch(ctx)
    for number in (3, 4):
        dispatch(FakeMessage(number), ctx)
    end_batch(ctx, last=FakeMessage(5))
    dispatch(FakeMessage(6), ctx)
    end_batch(ctx)
    assert done == [1, 2]  # 3 and 4 were in the failed flush; 5 came after it; 6 after the halt
    assert ("react", 3) not in log and ("count", 6) not in log
    assert halts == ["halted: database unavailable"]


def test_the_last_message_taken_is_reported_after_the_batch(app):
    ctx, done = context(app, collecting([]))
    dispatch(FakeMessage(1), ctx)
    end_batch(ctx, last=FakeMessage(2))  # e.g. a System message wxpy does not dispatch
    assert done == [1, 2]


def test_batch_start_hooks_run_before_the_first_message_of_each_batch(app):
    starts = []
    on_batch_start("test.starts")(lambda ctx: starts.append(len(ctx.batch.messages)))
    try:
        ctx, _ = context(app, collecting([]))
        for number in (1, 2):
            dispatch(FakeMessage(number), ctx)
        end_batch(ctx)
        dispatch(FakeMessage(3), ctx)
    finally:
        dispatch_module._BATCH_START.pop("test.starts")
    assert starts == [0, 0]


class PlainBot:
    """A bot without batch_end_hooks (not drivers.itchat.connection's HeldBot)."""

    def register(self, **kwargs):
        return lambda func: func


class HeldLikeBot(PlainBot):
    def __init__(self) -> None:
        self.batch_end_hooks = []


@pytest.mark.parametrize("bot, batch_size", [(PlainBot(), 1), (HeldLikeBot(), dispatch_module.BATCH_SIZE)])
def test_a_bot_that_cannot_tell_batch_ends_gets_batches_of_one(app, bot, batch_size):
    ctx = BotContext(app, state=None, bot=bot)
    dispatch_module.install_dispatcher(ctx)
    assert ctx.batch_size == batch_size
    assert len(getattr(bot, "batch_end_hooks", [None])) == 1
