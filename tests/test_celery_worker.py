"""A real `celery -A wechat worker` process runs a task through a real Redis, serialized with msgpack."""

import json

import pytest

from app import create_app
from tests.fixtures.processes import start_worker, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def worker_env(app_config, tmp_path) -> dict[str, str]:
    return {
        "REDIS_URL": app_config["REDIS_URL"],
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "worker-instance"),
    }


def test_worker_executes_a_msgpack_task_through_redis(app_config, worker_env, tmp_path, redis_server):
    celery = create_app(app_config, instance_path=str(tmp_path / "web")).extensions["celery"]
    payload = {"text": "你好😀", "numbers": [1, 2, 3], "nested": {"ok": True}}
    # Queue before any worker exists, so the raw message can be read off the broker.
    result = celery.send_task("wechat.ping", args=[payload])
    raw = redis_server.client().lindex("celery", 0)
    assert raw is not None, "task was not queued in Redis"
    assert json.loads(raw)["content-type"] == "application/x-msgpack"

    worker = start_worker(worker_env, tmp_path / "worker.log")
    try:
        assert result.get(timeout=60) == {"pong": payload}
    finally:
        exit_code = worker.stop()
    assert exit_code == 0, worker.log()
    assert "wechat.ping" in worker.log()


def test_worker_refuses_pickle(app_config, worker_env, tmp_path, redis_server):
    """Only json and msgpack are accepted: a pickled message (code execution on load) is rejected, not run."""
    celery = create_app(app_config, instance_path=str(tmp_path / "web")).extensions["celery"]
    celery.conf.accept_content = ["json", "msgpack", "pickle"]  # the sender may be hostile
    result = celery.send_task("wechat.ping", args=[{"x": 1}], serializer="pickle")
    worker = start_worker(worker_env, tmp_path / "worker.log")
    try:
        wait_for(lambda: "ContentDisallowed" in worker.log() or "disallowed" in worker.log().lower(), 60,
                 what="the worker to refuse the pickled message")
        assert result.state == "PENDING"
    finally:
        worker.stop()
