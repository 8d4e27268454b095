"""The app's Redis client waits for a free connection instead of failing when its pool is full (a worker with many
accounts holds many connections at once: redis-py's default pool raised MaxConnectionsError at 100 in the
50-account benchmark, and lease renewals failed)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from app import create_app


def test_more_callers_than_connections_wait_their_turn(app_config, tmp_path):
    app = create_app({**app_config, "REDIS_MAX_CONNECTIONS": 3, "REDIS_POOL_TIMEOUT": 10},
                     instance_path=str(tmp_path / "instance"))
    client = app.extensions["redis"]
    errors: list[BaseException] = []
    done: list[int] = []

    def hold_a_connection(n: int) -> None:
        try:
            client.blpop([f"never-filled-{n}"], timeout=0.5)  # holds its connection for half a second
            done.append(n)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    callers = [threading.Thread(target=hold_a_connection, args=(n,)) for n in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert not errors, errors
    assert sorted(done) == list(range(8))
    assert len(client.connection_pool._connections) <= 3  # never more than the limit open


def test_a_caller_that_waits_too_long_gets_a_clear_error(app_config, tmp_path):
    app = create_app({**app_config, "REDIS_MAX_CONNECTIONS": 1, "REDIS_POOL_TIMEOUT": 0.2},
                     instance_path=str(tmp_path / "instance"))
    client = app.extensions["redis"]
    holder = threading.Thread(target=client.blpop, args=(["never-filled"],), kwargs={"timeout": 1})
    holder.start()
    deadline = time.monotonic() + 5
    while not client.connection_pool._connections and time.monotonic() < deadline:  # the holder took the only one
        time.sleep(0.01)
    try:
        with pytest.raises(redis.ConnectionError, match="No connection available"):
            client.ping()
    finally:
        holder.join(10)
    assert client.ping()  # free again afterwards


def test_the_default_leaves_room_for_many_accounts(app):
    assert app.extensions["redis"].connection_pool.max_connections >= 1000
