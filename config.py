"""Configuration: environment variables over safe local defaults, then an optional override file.

Precedence (later wins): the defaults below, environment variables, `instance/settings.py`, and the mapping given
to `create_app(config)` (tests). Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from libs.embedded_redis import embedded_redis_url
from libs.instance_files import read_or_create_secret
from libs.queues import task_routes

SANDBOX_URL = "http://127.0.0.1:8200"
SANDBOX_GATEWAY_KEY = "sandbox-gateway-key"  # pre-issued by the sandbox's gateway face; useless elsewhere
# What an admin may upload to send through WeChat. Never executables, HTML or SVG (libs/uploads.py refuses those
# whatever this says).
DEFAULT_UPLOAD_EXTENSIONS = "jpg,jpeg,png,gif,webp,mp4,mov,pdf,doc,docx,xls,xlsx,ppt,pptx,txt,csv,zip,7z,rar,mp3"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError as exc:  # a typo in the environment must stop the start, not be ignored
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options from the final config: the pool sizes apply to a database server only (SQLite's
    in-memory pools take neither); options set explicitly in SQLALCHEMY_ENGINE_OPTIONS win."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        return options
    for name, option, lowest in (("DB_POOL_SIZE", "pool_size", 1), ("DB_MAX_OVERFLOW", "max_overflow", 0)):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            raise RuntimeError(f"{name} must be a whole number of at least {lowest}, got {value!r}")
        options.setdefault(option, value)
    return options


def load_secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in the instance folder.

    A hard-coded default secret would let anyone forge session cookies, so a missing key is made, never assumed.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    return read_or_create_secret(instance_path / "secret_key")


def celery_redis_url(redis_url: str) -> str:
    """REDIS_URL as Celery (kombu and the result backend) spells it: redis-py's `unix://` socket URLs are
    `redis+socket://` there, with the database number as `virtual_host`. Other URLs pass unchanged."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    query = [("virtual_host" if key == "db" else key, value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(("redis+socket", parts.netloc, parts.path, urlencode(query), ""))


def celery_settings(redis_url: str, account: str = "default", sync_minutes: float = 30,
                    watchdog_seconds: float = 10) -> dict[str, Any]:
    """Celery settings derived from the app config (one source of truth for web and worker)."""
    return {
        "broker_url": celery_redis_url(redis_url),
        "result_backend": celery_redis_url(redis_url),
        "task_serializer": "msgpack",
        "result_serializer": "json",
        "accept_content": ["json", "msgpack"],
        "result_accept_content": ["json"],
        "result_expires": 3600,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        # A listener runs for hours: never prefetch work behind it, and never late-ack it (see wechat/tasks.py).
        "worker_prefetch_multiplier": 1,
        # The bot's tasks go to the queue of the process holding the account's bot, and a listener launched for
        # a worker to that worker's own queue (worker_direct): routed here, in one place (libs/queues.py).
        "task_routes": task_routes(account),
        "worker_direct": True,
        # However many beats run (one per machine, or `worker -B`), one of them schedules (wechat/workers/beat_lock.py).
        "beat_scheduler": "wechat.workers.beat_lock:LockedScheduler",
        "beat_schedule": {
            "wechat-watchdog": {"task": "wechat.watchdog", "schedule": watchdog_seconds},
            "wechat-notify-unread": {"task": "wechat.notify_unread", "schedule": 60.0},
            "wechat-purge-messages": {"task": "wechat.purge_messages", "schedule": 3600.0},
            "wechat-purge-uploads": {"task": "wechat.purge_uploads", "schedule": 3600.0},
            # One sync per account, each to its bot queue; expires: a sync queued while nobody is logged in is
            # dropped, not piled up for the next login.
            "wechat-sync": {"task": "wechat.sync_all", "schedule": sync_minutes * 60, "args": ["all"],
                            "options": {"expires": 120}},
            # Scheduled messages; a tick that waited too long is dropped (the next one does its work).
            "wechat-run-schedules": {"task": "wechat.run_schedules", "schedule": 30.0, "options": {"expires": 25}},
            # Group insights: yesterday's messages into the daily rollups (today is counted live by the report).
            "wechat-insights-rollup": {"task": "wechat.insights_rollup", "schedule": 600.0,
                                       "options": {"expires": 590}},
        },
        "enable_utc": True,
    }


def _default_gateway_url() -> str:
    """The sandbox serves both faces on one port: with WECHAT_BASE_URL on the sandbox, so is the gateway."""
    base = os.environ.get("WECHAT_BASE_URL", SANDBOX_URL).rstrip("/")
    return base if base == SANDBOX_URL or base.startswith(("http://127.0.0.1:", "http://localhost:")) else ""


def _default_gateway_key() -> str:
    """The key the sandbox's gateway face pre-issues, only when the gateway is the default (local) one."""
    return SANDBOX_GATEWAY_KEY if not os.environ.get("PADPRO_BASE_URL") and _default_gateway_url() else ""


def build_config(instance_path: Path) -> dict[str, Any]:
    """Defaults overridden by environment variables."""
    # No REDIS_URL: the embedded server `make run` starts (libs/embedded_redis.py), socket and password private.
    redis_url = os.environ.get("REDIS_URL") or embedded_redis_url(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'wechat_admin.db'}"
    cookie_secure = _env_bool("SESSION_COOKIE_SECURE", False)
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Connections one process keeps to a PostgreSQL/MySQL server, and how many more it may open for a burst
        # (closed again after it). A worker stores every account's batches concurrently (libs/green_postgres.py).
        "DB_POOL_SIZE": _env_int("DB_POOL_SIZE", 10),
        "DB_MAX_OVERFLOW": _env_int("DB_MAX_OVERFLOW", 10),
        "REDIS_URL": redis_url,
        # Connections one process keeps to Redis at most; how long a caller waits for a free one (libs/redis_client).
        "REDIS_MAX_CONNECTIONS": _env_int("REDIS_MAX_CONNECTIONS", 1000),
        "REDIS_POOL_TIMEOUT": float(os.environ.get("REDIS_POOL_TIMEOUT", "10")),
        "WEB_HOST": os.environ.get("WEB_HOST", "127.0.0.1"),
        "WEB_PORT": _env_int("WEB_PORT", 8100),
        "WECHAT_BASE_URL": os.environ.get("WECHAT_BASE_URL", SANDBOX_URL),
        "WECHAT_LOGIN_MODE": os.environ.get("WECHAT_LOGIN_MODE", "web"),
        # The desktop client's extspam header for uos login on real WeChat (the sandbox accepts any value).
        "WECHAT_UOS_EXTSPAM": os.environ.get("WECHAT_UOS_EXTSPAM", "sandbox"),
        "WECHAT_ACCOUNT": os.environ.get("WECHAT_ACCOUNT", "default"),
        # Which protocol reaches WeChat (docs/DRIVERS.md): itchat (web/UOS login) or padpro (the operator's own
        # WeChatPadPro-style gateway). PADPRO_KEY is a secret: never logged, never shown.
        "WECHAT_DRIVER": os.environ.get("WECHAT_DRIVER", "itchat").strip().lower(),
        "PADPRO_BASE_URL": os.environ.get("PADPRO_BASE_URL") or _default_gateway_url(),
        "PADPRO_KEY": os.environ.get("PADPRO_KEY") or _default_gateway_key(),
        "PADPRO_HTTP_SYNC_SECONDS": float(os.environ.get("PADPRO_HTTP_SYNC_SECONDS", "30")),
        "WECHAT_AUTOSTART": _env_bool("WECHAT_AUTOSTART", True),
        "LISTENER_LEASE_TTL": float(os.environ.get("LISTENER_LEASE_TTL", "15")),
        "LISTENER_HEARTBEAT": float(os.environ.get("LISTENER_HEARTBEAT", "2")),
        "WATCHDOG_INTERVAL": float(os.environ.get("WATCHDOG_INTERVAL", "10")),
        # Many accounts over many workers (wechat/workers/placement.py): how many accounts one worker runs at most,
        # and how often each worker looks at the placement (its heartbeat; a worker silent for 3 periods counts as
        # dead).
        "WORKER_MAX_ACCOUNTS": _env_int("WORKER_MAX_ACCOUNTS", 20),
        "PLACEMENT_INTERVAL": float(os.environ.get("PLACEMENT_INTERVAL", "5")),
        # Beat schedules only while it holds a Redis lock of this many seconds; a standby beat takes over after it.
        "BEAT_LOCK_TTL": float(os.environ.get("BEAT_LOCK_TTL", "30")),
        "SYNC_INTERVAL_MINUTES": float(os.environ.get("SYNC_INTERVAL_MINUTES", "30")),
        # Keep archived messages this many days (0: forever).
        "MESSAGE_RETENTION_DAYS": _env_int("MESSAGE_RETENTION_DAYS", 0),
        # Media contacts send (docs/SECURITY.md): largest file kept (MB), free disk below which media is skipped
        # (MB), and media kept per chat per day (MB, counted in Redis). Skipped media leave the message stored.
        "MEDIA_MAX_MB": _env_int("MEDIA_MAX_MB", 50),
        "MEDIA_MIN_FREE_MB": _env_int("MEDIA_MIN_FREE_MB", 256),
        "MEDIA_DAILY_MB_PER_CHAT": _env_int("MEDIA_DAILY_MB_PER_CHAT", 500),
        "BOT_COMMAND_TIMEOUT": float(os.environ.get("BOT_COMMAND_TIMEOUT", "20")),
        # Tasks queued for the bot's process (sync, send jobs) expire after this many seconds if nobody logged in.
        "BOT_TASK_EXPIRES": float(os.environ.get("BOT_TASK_EXPIRES", "300")),
        # Anti-ban pacing between automated sends (seconds, uniformly random in [min, max]).
        "SEND_DELAY_MIN": float(os.environ.get("SEND_DELAY_MIN", "1")),
        "SEND_DELAY_MAX": float(os.environ.get("SEND_DELAY_MAX", "3")),
        # First wait after WeChat answers "operation too frequent" (Ret 1205); doubles on each retry, capped at 120 s.
        "SEND_RATE_LIMIT_BACKOFF": float(os.environ.get("SEND_RATE_LIMIT_BACKOFF", "5")),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        # Plugins (docs/PLUGINS.md): extra plugin folders (os.pathsep-separated), the time limit of one plugin
        # call (s), the time-out of one auto-reply regex (s), and how late a scheduled message may still be sent (s).
        "PLUGIN_PATHS": os.environ.get("PLUGIN_PATHS", ""),
        "PLUGIN_TIME_LIMIT": float(os.environ.get("PLUGIN_TIME_LIMIT", "15")),
        "AUTOREPLY_REGEX_TIMEOUT": float(os.environ.get("AUTOREPLY_REGEX_TIMEOUT", "0.2")),
        # Internal hosts / networks that requests to configurable URLs may reach (libs/netguard.py); none by default.
        "OUTBOUND_ALLOW_HOSTS": os.environ.get("OUTBOUND_ALLOW_HOSTS", ""),
        # POSTed {"event": "wechat.session_ended", ...} when WeChat ends the session (through libs/netguard.py).
        "SESSION_END_WEBHOOK_URL": os.environ.get("SESSION_END_WEBHOOK_URL", ""),
        "OUTBOUND_ALLOW_NETS": os.environ.get("OUTBOUND_ALLOW_NETS", ""),
        "SCHEDULE_GRACE_SECONDS": float(os.environ.get("SCHEDULE_GRACE_SECONDS", "120")),
        "LOGIN_RATE_LIMIT": _env_int("LOGIN_RATE_LIMIT", 5),
        "LOGIN_RATE_WINDOW": _env_int("LOGIN_RATE_WINDOW", 300),
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _env_int("LOGIN_RATE_LIMIT_PER_ADDRESS", 20),
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "SSE_AUTH_RECHECK_SECONDS": _env_int("SSE_AUTH_RECHECK_SECONDS", 5),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_MB", 50) * 1024 * 1024,
        "UPLOAD_ALLOWED_EXTENSIONS": os.environ.get("UPLOAD_ALLOWED_EXTENSIONS", DEFAULT_UPLOAD_EXTENSIONS),
        "UPLOAD_RETENTION_DAYS": _env_int("UPLOAD_RETENTION_DAYS", 30),
        "SSE_HEARTBEAT_SECONDS": _env_int("SSE_HEARTBEAT_SECONDS", 15),
        "SSE_RETRY_MS": _env_int("SSE_RETRY_MS", 3000),
        "SSE_CLIENT_QUEUE_SIZE": _env_int("SSE_CLIENT_QUEUE_SIZE", 256),
        "SSE_STREAM_MAXLEN": _env_int("SSE_STREAM_MAXLEN", 1000),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": cookie_secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": cookie_secure,
        # Flask-Login's default is a year; "sign out everywhere" ends it sooner, this bounds a forgotten one.
        "REMEMBER_COOKIE_DURATION": timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30)),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
        # CSRF is checked by our own before_request so that Bearer-token calls (no cookies) skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
    }
