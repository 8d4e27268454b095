"""Celery queue names: the one place that names the bot's queue (config's task_routes and the listener use it)."""

from __future__ import annotations

# Tasks that must run in the process holding the account's WeChat connection (routed by Celery's task_routes,
# never by a `queue=` at the call site).
BOT_TASKS = ("wechat.bot_command", "wechat.send_job", "wechat.sync", "wechat.avatars")


def bot_queue(account: str) -> str:
    """The queue only the listener of `account` consumes (wechat/listener.py)."""
    return f"wechat.{account}"


def task_routes(account: str) -> dict[str, dict[str, str]]:
    return {name: {"queue": bot_queue(account)} for name in BOT_TASKS}
