"""The bot's queue is named in one place (libs/queues.py) and reached through Celery's task_routes, never `queue=`."""

from __future__ import annotations

import ast
from pathlib import Path

from config import celery_settings
from libs.queues import BOT_TASKS, bot_queue

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app.py", "config.py", "libs", "views", "wechat", "drivers")


def test_every_bot_task_is_routed_to_the_account_queue():
    routes = celery_settings("redis://127.0.0.1:1/0", account="shop")["task_routes"]
    assert routes == {name: {"queue": "wechat.shop"} for name in BOT_TASKS}
    assert bot_queue("shop") == "wechat.shop"


def test_the_beat_sync_has_no_queue_of_its_own():
    beat = celery_settings("redis://127.0.0.1:1/0")["beat_schedule"]
    assert all("queue" not in entry.get("options", {}) for entry in beat.values())


def _sources():
    for part in PRODUCT:
        path = ROOT / part
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def test_no_call_site_names_a_queue():
    """`send_task(..., queue=...)` / `apply_async(queue=...)` would bypass task_routes (and the one name)."""
    offenders = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(keyword.arg == "queue" for keyword in node.keywords):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
