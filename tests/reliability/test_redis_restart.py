"""Redis restarted (empty: no persistence) while the bot runs. This module starts its OWN redis-server (the
system binary, tests/fixtures/processes.py) instead of the session one, since it stops and restarts it."""

import json
import time

import pytest

from tests.fixtures.processes import RedisServer, wait_for
from tests.reliability.conftest import archived_total, figure, wait_archived
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_server(tmp_path):
    """Overrides the session Redis for the `stack` fixture of this module only."""
    server = RedisServer(tmp_path / "own-redis").start()
    yield server
    server.stop()


def first_message_event(stack, timeout: float = 20) -> dict | None:
    response = stack.client().get("/stream?events=message", headers=stack.headers, buffered=False)
    assert response.status_code == 200
    deadline, event = time.monotonic() + timeout, None
    for chunk in response.response:
        for row in (chunk.decode() if isinstance(chunk, bytes) else chunk).splitlines():
            if row.startswith("event: "):
                event = row[7:]
            elif row.startswith("data: ") and event == "message":
                response.close()
                return json.loads(row[6:])
        if time.monotonic() > deadline:
            break
    response.close()
    return None


@pytest.mark.parametrize("driver", DRIVERS)
def test_redis_restart_mid_operation_recovers_and_loses_nothing(logged_in_stack, redis_server):
    stack = logged_in_stack
    friend = stack.sandbox.world()["friends"][0]["nick_name"]
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "before {n}", "count": 20})
    wait_archived(stack, 20, 30)
    redis_server.stop()
    assert stack.client().get("/healthz").status_code == 503
    down = stack.api("GET", "/api/status")
    assert down.status_code == 503 and "Redis" in down.json["error"]  # a clear answer, not a 500
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "during {n}", "count": 20})
    time.sleep(3)
    redis_server.start()  # same port, empty
    restarted = time.monotonic()
    wait_for(lambda: stack.client().get("/healthz").status_code == 200, 30, what="web healthy again")
    web_recovery = time.monotonic() - restarted
    status = wait_for(lambda: (s := stack.status())["login"]["state"] == "logged_in" and s["listener"]["healthy"]
                      and s, 30, interval=0.2, what="the worker's listener visible and healthy again")
    worker_recovery = time.monotonic() - restarted
    chats = wait_for(lambda: (r := stack.api("GET", "/api/wechat/chats?kind=friends")).status_code == 200 and r,
                     30, interval=0.5, what="bot commands reach the worker again")
    command_recovery = time.monotonic() - restarted
    figure("redis_restart_web_recovery_seconds", round(web_recovery, 1))
    figure("redis_restart_listener_recovery_seconds", round(worker_recovery, 1))
    figure("redis_restart_bot_commands_recovery_seconds", round(command_recovery, 1))
    assert chats.json["friends"] and status["listener"]["starts"] >= 1
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "after {n}", "count": 20})
    wait_archived(stack, 60, 30)
    assert archived_total(stack) == 60
    # A client (re)connecting to /stream after the restart gets live events again.
    stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "live"})
    event = first_message_event(stack)
    if event is None or event["text"] != "live":  # the subscription may have caught an earlier event: try once more
        stack.sandbox.control("messages", {"from": friend, "type": "text", "content": "live"})
        event = first_message_event(stack)
    assert event is not None and event["text"] in ("live",), event
