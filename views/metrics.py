"""GET /metrics for Prometheus. Not public: like every route it needs an admin session or a Bearer API token; a
token of scope `metrics` reaches only this route (`flask create-token prometheus --admin <name> --scope metrics`;
see docs/DEPLOY.md)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from libs.metrics import RedisCollector
from wechat.control import bot_state

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    # A registry per scrape: everything comes from Redis, so nothing process-local may leak into the answer.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(current_app._get_current_object(), bot_state))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
