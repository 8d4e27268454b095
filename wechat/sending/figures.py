"""Send-job figures per account slot, for /metrics (views/metrics.py)."""

from __future__ import annotations

from flask import Flask

from extensions import db
from models.send_job import SendJob
from models.wechat import Account
from wechat.workers.slots import default_slot


def failed_jobs_per_slot(app: Flask | None = None) -> dict[str, int]:
    """slot → send jobs whose status is `failed`. A job's account without a slot of its own (or a job without an
    account) belongs to the default slot, as wechat/workers/slots.slot_of_account says."""
    rows = db.session.execute(
        db.select(Account.slot, db.func.count(SendJob.id)).select_from(SendJob)
        .outerjoin(Account, SendJob.account_id == Account.id).where(SendJob.status == "failed")
        .group_by(Account.slot)).all()
    db.session.rollback()  # a read-only look
    figures: dict[str, int] = {}
    for slot, count in rows:
        key = slot or default_slot(app)
        figures[key] = figures.get(key, 0) + count
    return figures
