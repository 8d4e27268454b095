"""Message retention: forget archived messages (and their media files) older than the configured days."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select

from extensions import db
from libs.files import inside
from models.message import Message
from models.types import utcnow
from wechat.messages.archive import media_root

logger = logging.getLogger(__name__)
BATCH = 1000


def _remove_files(paths: list[str | None]) -> None:
    for relative in filter(None, paths):
        target = inside(media_root(), relative)
        if target is not None:
            target.unlink(missing_ok=True)


def delete_messages(condition) -> int:
    """Delete matching messages and their files, in batches (bounded memory and lock time)."""
    removed = 0
    while True:
        batch = db.session.execute(select(Message.id, Message.file_path).where(condition).limit(BATCH)).all()
        if not batch:
            return removed
        _remove_files([row.file_path for row in batch])
        db.session.execute(delete(Message).where(Message.id.in_([row.id for row in batch])))
        db.session.commit()
        removed += len(batch)


def purge_expired(retention_days: int) -> int:
    if retention_days <= 0:
        return 0
    removed = delete_messages(Message.created_at < utcnow() - timedelta(days=retention_days))
    if removed:
        logger.info("retention: removed %d messages older than %d days", removed, retention_days)
    return removed
