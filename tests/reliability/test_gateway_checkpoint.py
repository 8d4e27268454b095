"""The padpro driver's delivery checkpoint with a real worker SIGKILLed between reading messages from the gateway and
spooling them (#16/#18): the gateway pushes each message once, so before the checkpoint these were lost.

The window is held open the way it opens in production: the worker's Redis goes away (its connections run through
a relay process that is killed), so the receiver has read the messages over the WebSocket but cannot spool them;
then the worker is SIGKILLed, Redis comes back and a new worker takes over."""

from __future__ import annotations

import signal
import sqlite3
import time
from urllib.parse import urlsplit

import pytest

from tests.fixtures.processes import free_port, wait_for
from tests.fixtures.tcp_relay import Relay
from tests.reliability.conftest import archived_total, figure, wait_archived

pytestmark = pytest.mark.integration

UNSPOOLED = 5


@pytest.fixture
def driver() -> str:
    return "padpro"


def stored(stack) -> list[str]:
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT msg_id FROM messages")]


def test_sigkill_between_read_and_spool_loses_and_duplicates_nothing(stack):
    target = urlsplit(stack.env["REDIS_URL"])
    relay = Relay(free_port(), target.hostname, target.port).start()
    worker_redis = f"redis://127.0.0.1:{relay.port}/0"
    try:
        stack.sandbox.reset(friends=3, groups=1, members=5, mps=0)
        first = stack.start_worker(REDIS_URL=worker_redis)
        stack.log_in()
        friend = stack.sandbox.world()["friends"][0]["nick_name"]
        stack.sandbox.control("messages", {"from": friend, "content": "stored before"})
        wait_archived(stack, 1, 60)

        relay.stop()  # the worker's Redis is gone: what it reads now stays in its memory
        stack.sandbox.control("messages", {"from": friend, "content": "read, not spooled {n}", "count": UNSPOOLED})
        wait_for(lambda: (s := stack.sandbox.state())["session"]["sync_position"] == s["log_position"], 20,
                 interval=0.1, what="the gateway to push the messages to the worker")
        time.sleep(1.0)  # the receiver has them and fails to spool them
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        assert archived_total(stack) == 1

        relay.start()
        restarted = time.monotonic()
        stack.start_worker(REDIS_URL=worker_redis)
        wait_archived(stack, 1 + UNSPOOLED, 60)
        figure("gateway_unspooled_recovered_seconds", round(time.monotonic() - restarted, 1))
        stack.sandbox.control("messages", {"from": friend, "content": "after the takeover"})
        wait_archived(stack, 2 + UNSPOOLED, 30)
        time.sleep(2)  # anything read twice would show now
        ids = stored(stack)
        assert len(ids) == len(set(ids)) == 2 + UNSPOOLED
        texts = {m["text"] for m in stack.api("GET", "/api/messages?per_page=50").json["items"]}
        assert {f"read, not spooled {n}" for n in range(1, UNSPOOLED + 1)} <= texts
    finally:
        relay.stop()
