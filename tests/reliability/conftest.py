"""Fault tests: the runtime stack (tests/runtime/conftest.py: sandbox, Redis, migrated SQLite, real workers) under
faults. Each test prints its figures as `FIGURE name=value` lines (pytest -s shows them; docs/RELIABILITY.md)."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.processes import wait_for
from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.runtime.conftest import driver, stack  # noqa: F401  (fixtures; parametrize `driver` for both)


def figure(name: str, value) -> None:
    print(f"FIGURE {name}={value}")


def archived_total(stack) -> int:  # noqa: F811
    return stack.api("GET", "/api/messages?per_page=1").json["total"]


def wait_archived(stack, count: int, timeout: float) -> float:  # noqa: F811
    """Wait until `count` messages are archived; returns how long it took."""
    started = time.monotonic()
    wait_for(lambda: archived_total(stack) >= count, timeout, interval=0.5,
             what=f"{count} archived messages (have {archived_total(stack)})")
    return time.monotonic() - started


@pytest.fixture
def logged_in_stack(stack):  # noqa: F811
    stack.sandbox.reset(friends=5, groups=1, members=5, mps=0)
    stack.start_worker()
    stack.log_in()
    return stack
