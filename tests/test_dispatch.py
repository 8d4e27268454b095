"""The dispatcher: every handler sees every message; a message that must not be lost halts it."""

import pytest

from wechat import dispatch as dispatch_module
from wechat.dispatch import BotContext, MustNotLose, dispatch, message_handler


class FakeMessage:
    def __init__(self, number: int) -> None:
        self.id = number


@pytest.fixture
def register():
    """Register test handlers for one test only."""
    yield lambda name, handler: message_handler(f"test.{name}", priority=-50)(handler)
    dispatch_module._HANDLERS[:] = [h for h in dispatch_module._HANDLERS if not h[1].startswith("test.")]


def test_a_failing_handler_does_not_stop_the_others(app, register):
    seen, done = [], []
    register("broken", lambda msg, ctx: 1 / 0)
    register("seen", lambda msg, ctx: seen.append(msg.id))
    dispatch(FakeMessage(1), BotContext(app, state=None, bot=None, after_message=[lambda msg: done.append(msg.id)]))
    assert seen == [1] and done == [1]


def test_must_not_lose_halts_and_reports_nothing_handled(app, register):
    halts, done, seen = [], [], []

    def keeper(msg, ctx):
        if msg.id == 2:
            raise MustNotLose("database unavailable")
        seen.append(msg.id)

    register("keeper", keeper)
    ctx = BotContext(app, state=None, bot=None, after_message=[lambda msg: done.append(msg.id)], on_halt=halts.append)
    for number in (1, 2, 3):
        dispatch(FakeMessage(number), ctx)
    assert seen == [1] and done == [1]  # 2 failed, 3 came after: neither is reported handled
    assert halts == ["halted: database unavailable"] and ctx.halted
