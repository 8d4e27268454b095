"""Upload retention: files admins uploaded for sending are deleted once older than UPLOAD_RETENTION_DAYS.

An upload that a schedule or an unfinished send job still names is kept whatever its age: deleting it would make
that send fail later (a weekly schedule keeps sending the same picture for months).
"""

from __future__ import annotations

import logging
from typing import Any

from extensions import db
from libs.uploads import cleanup_uploads, upload_root
from models.schedule import Schedule
from models.send_job import SendJob

logger = logging.getLogger(__name__)
UNFINISHED = ("pending", "running")


def _ids(files: Any) -> set[str]:
    return {item for item in files if isinstance(item, str)} if isinstance(files, list) else set()


def uploads_in_use() -> set[str]:
    """Upload ids that any schedule or any pending/running send job refers to."""
    used: set[str] = set()
    for files in db.session.execute(db.select(Schedule.files)).scalars():
        used |= _ids(files)
    for files in db.session.execute(db.select(SendJob.files).where(SendJob.status.in_(UNFINISHED))).scalars():
        used |= _ids(files)
    return used


def purge_uploads(days: int) -> int:
    """Delete unused uploads older than `days` (0 or less: keep forever); return how many were removed."""
    if days <= 0:
        return 0
    removed = cleanup_uploads(upload_root(), days, keep=uploads_in_use())
    if removed:
        logger.info("deleted %d uploads older than %d days", removed, days)
    return removed
