"""GET /metrics for Prometheus. Not public: like every route it needs an admin session or a Bearer API token; a
token of scope `metrics` reaches only this route (`flask create-token prometheus --admin <name> --scope metrics`;
see docs/DEPLOY.md). Every account that should run (wechat/workers/slots.running_slots) has its own series, labelled
account="<slot>"."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from libs.metrics import AccountReaders, RedisCollector
from wechat.bot.state import LOGIN_STATES
from wechat.control import bot_state
from wechat.messages.notifications import unread
from wechat.sending.figures import failed_jobs_per_slot
from wechat.workers.slots import default_slot, running_slots

bp = Blueprint("metrics", __name__)
logger = logging.getLogger(__name__)


def account_readers(app: Flask) -> AccountReaders:
    def slots() -> list[str]:
        try:
            return running_slots(app)
        except SQLAlchemyError:  # the database is down: the default account's series still go out
            logger.warning("metrics scrape: account slots unavailable", exc_info=True)
            return [default_slot(app)]

    return AccountReaders(slots=slots, bot_state=lambda slot: bot_state(app, account=slot), unread=unread,
                          failed_jobs=lambda: failed_jobs_per_slot(app), login_states=LOGIN_STATES)


@bp.get("/metrics")
def metrics():
    # A registry per scrape: everything comes from Redis, so nothing process-local may leak into the answer.
    app = current_app._get_current_object()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(app, account_readers(app)))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
