"""The bot's queue is named in one place (libs/queues.py) and reached through Celery's task_routes, never `queue=`."""

from __future__ import annotations

import ast
from pathlib import Path

from config import celery_settings
from libs.queues import BOT_TASKS, LISTENER_TASK, bot_queue

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app.py", "config.py", "libs", "views", "wechat", "drivers")


def route(name: str, **kwargs):
    (router,) = celery_settings("redis://127.0.0.1:1/0", account="shop")["task_routes"]
    return router(name, [], kwargs, {})


def test_every_bot_task_is_routed_to_the_queue_of_the_account_it_names():
    for name in BOT_TASKS:
        assert route(name) == {"queue": "wechat.shop"}  # no account named: the installation's default
        assert route(name, account="tea") == {"queue": "wechat.tea"}
    assert bot_queue("shop") == "wechat.shop"
    assert route("wechat.ping", account="tea") is None and route(LISTENER_TASK, account="tea") is None


def test_a_listener_for_a_worker_goes_to_that_workers_own_queue():
    queue = route(LISTENER_TASK, account="tea", worker="w1@host")["queue"]
    assert (queue.name, queue.exchange.name, queue.routing_key) == ("w1@host.dq2", "C.dq2", "w1@host")
    assert celery_settings("redis://127.0.0.1:1/0")["worker_direct"] is True


def test_celery_routes_a_sent_task_by_its_account_argument(app):
    """Through Celery's own router (what send_task uses), not only our function."""
    celery = app.extensions["celery"]
    routed = celery.amqp.router.route({}, "wechat.sync", args=["all"], kwargs={"account": "tea"})
    assert routed["queue"].name == "wechat.tea"
    routed = celery.amqp.router.route({}, "wechat.sync", args=["all"], kwargs={})
    assert routed["queue"].name == bot_queue(app.config["WECHAT_ACCOUNT"])


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
