from pathlib import Path

import pytest

from app import create_app
from config import build_config, load_secret_key


def test_defaults_are_local_and_safe(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "WEB_PORT", "WECHAT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = build_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'wechat_admin.db'}"
    assert (config["WEB_HOST"], config["WEB_PORT"]) == ("127.0.0.1", 8100)
    assert config["REDIS_URL"].startswith("unix://")  # the embedded Redis: tests/test_embedded_redis.py
    assert config["WECHAT_BASE_URL"] == "http://127.0.0.1:8200"
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_celery_settings_use_msgpack_for_tasks(tmp_path):
    app = create_app({"SECRET_KEY": "x", "REDIS_URL": "redis://example:1/2"}, instance_path=str(tmp_path))
    celery = app.config["CELERY"]
    assert celery["broker_url"] == celery["result_backend"] == "redis://example:1/2"
    assert celery["task_serializer"] == "msgpack"
    assert celery["result_serializer"] == "json"
    assert set(celery["accept_content"]) == {"json", "msgpack"}
    assert celery["result_expires"] > 0


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("WEB_PORT", "9001")
    config = build_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql://u@h/db"
    assert config["WEB_PORT"] == 9001


def test_bad_number_in_environment_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_PORT", "eighty")
    with pytest.raises(RuntimeError, match="WEB_PORT"):
        build_config(tmp_path)


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert len(first) == 64
    assert load_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_instance_settings_file_overrides_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "UTC")
    instance = Path(tmp_path / "instance")
    instance.mkdir()
    (instance / "settings.py").write_text('TIMEZONE = "Europe/Berlin"\n')
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(instance))
    assert app.config["TIMEZONE"] == "Europe/Berlin"


def test_factory_config_wins_and_builds_celery(tmp_path):
    app = create_app({"SECRET_KEY": "x", "TESTING": True}, instance_path=str(tmp_path))
    assert app.testing
    celery = app.extensions["celery"]
    assert celery.conf.task_serializer == "msgpack"
    assert "wechat.ping" in celery.tasks


def test_a_database_server_gets_the_configured_pool_and_sqlite_none(tmp_path, monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "12")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "3")
    url = "postgresql+psycopg2://u@127.0.0.1:1/db"  # never connected: the engine is only built
    server = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}, instance_path=str(tmp_path / "a"))
    assert server.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "pool_size": 12, "max_overflow": 3}
    with server.app_context():
        from extensions import db

        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (12, 3)
    memory = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path / "b"))
    assert memory.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@pytest.mark.parametrize(("name", "value"), [("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "-1"),
                                             ("DB_POOL_SIZE", "ten")])
def test_a_bad_pool_size_stops_the_start(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1:1/db"},
                   instance_path=str(tmp_path))
