"""One Redis client per app, built from REDIS_URL."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_redis(app: Flask) -> None:
    # Short timeouts: a page or health check must say "Redis is down" quickly, not hang.
    app.extensions["redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5, health_check_interval=30,
        decode_responses=False,
    )


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
