"""Liveness for load balancers and `make run` users: no auth, nothing secret."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from extensions import db
from libs.redis_client import get_redis

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)


def _check(name: str, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:  # any failure means "down"; the reason goes to the log, not to the public
        logger.warning("health check: %s is down", name, exc_info=True)
        return "down"


@bp.get("/healthz")
def healthz():
    db_state = _check("database", lambda: db.session.execute(text("SELECT 1")))
    redis_state = _check("redis", lambda: get_redis().ping())
    healthy = db_state == "ok" and redis_state == "ok"
    body = {"status": "ok" if healthy else "degraded", "db": db_state, "redis": redis_state}
    return jsonify(body), 200 if healthy else 503
