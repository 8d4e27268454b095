"""Audit log of admin and automated actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from libs.validation import fit
from models.types import UTCDateTime, utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # admin username, "bot" or "system"
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


def record(actor: str, action: str, target: str | None = None, reason: str | None = None,
           detail: dict[str, Any] | None = None, ip: str | None = None) -> AuditLog:
    """Add an audit entry to the session; the caller's commit makes it durable with the action itself."""
    # Targets quote ids and names from requests and from WeChat: cut to the column, never a database error.
    entry = AuditLog(actor=fit(AuditLog.actor, actor), action=fit(AuditLog.action, action),
                     target=fit(AuditLog.target, target), reason=fit(AuditLog.reason, reason), detail=detail,
                     ip=fit(AuditLog.ip, ip))
    db.session.add(entry)
    return entry
