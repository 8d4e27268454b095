"""One Redis client per app, built from REDIS_URL.

Its pool blocks for a free connection (up to REDIS_POOL_TIMEOUT seconds) once REDIS_MAX_CONNECTIONS are open,
instead of failing at once: redis-py's default pool raises MaxConnectionsError at 100, and a worker running fifty
accounts (a listener, its receiver, heartbeat and tasks each) reached that in the 50-account benchmark, where
lease renewals and a sync failed."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_redis(app: Flask) -> None:
    # Short timeouts: a page or health check must say "Redis is down" quickly, not hang.
    pool = redis.BlockingConnectionPool.from_url(
        app.config["REDIS_URL"], max_connections=int(app.config.get("REDIS_MAX_CONNECTIONS", 1000)),
        timeout=float(app.config.get("REDIS_POOL_TIMEOUT", 10)), socket_connect_timeout=2, socket_timeout=5,
        health_check_interval=30, decode_responses=False,
    )
    app.extensions["redis"] = redis.Redis(connection_pool=pool)


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
