"""Celery queue names and routing: the one place that names the bot queues (config's task_routes, the listener and
the placement loop use it).

A task for an account's bot names the account in its `account` keyword argument; the router sends it to that
account's queue, which only the worker holding the account's listener consumes. A listener task with a `worker`
keyword goes to that worker's own queue (Celery's worker_direct), so a worker can start a listener on itself.
"""

from __future__ import annotations

from typing import Any

from celery.utils.nodenames import worker_direct

# Tasks that must run in the process holding the account's WeChat connection (routed here, never by a `queue=` at
# the call site).
BOT_TASKS = ("wechat.bot_command", "wechat.send_job", "wechat.sync", "wechat.avatars")
LISTENER_TASK = "wechat.listener"


def bot_queue(account: str) -> str:
    """The queue only the listener of `account` consumes (wechat/bot/listener.py)."""
    return f"wechat.{account}"


def worker_queue(hostname: str) -> Any:
    """The queue only the worker `hostname` consumes (Celery's worker_direct queue, a kombu Queue)."""
    return worker_direct(hostname)


class TaskRouter:
    """Celery router (`task_routes`): bot tasks to their account's queue, targeted listeners to their worker."""

    def __init__(self, default_account: str) -> None:
        self.default_account = default_account

    def __call__(self, name: str, args: Any = None, kwargs: Any = None, options: Any = None, task: Any = None,
                 **rest: Any) -> dict[str, Any] | None:
        kwargs = kwargs if isinstance(kwargs, dict) else {}
        if name in BOT_TASKS:
            return {"queue": bot_queue(kwargs.get("account") or self.default_account)}
        if name == LISTENER_TASK and kwargs.get("worker"):
            return {"queue": worker_queue(kwargs["worker"])}
        return None

    def __repr__(self) -> str:
        return f"TaskRouter({self.default_account!r})"


def task_routes(account: str) -> tuple[TaskRouter]:
    return (TaskRouter(account),)
