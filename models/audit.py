"""Audit log of admin and automated actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
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


def _fit(column: str, value: str | None) -> str | None:
    """A value as the column can store it on every supported engine: NUL removed (PostgreSQL refuses it) and cut to
    the column's length (MySQL refuses longer), marked with an ellipsis. Audit text often comes from outside (a
    guessed username, a WeChat nickname): writing the entry must never be the thing that fails."""
    if value is None:
        return None
    value = str(value).replace("\x00", "")
    length = AuditLog.__table__.c[column].type.length
    if len(value) > length:
        value = value[:length - 1] + "…"
    return value


def record(actor: str, action: str, target: str | None = None, reason: str | None = None,
           detail: dict[str, Any] | None = None, ip: str | None = None) -> AuditLog:
    """Add an audit entry to the session; the caller's commit makes it durable with the action itself."""
    entry = AuditLog(actor=_fit("actor", actor), action=_fit("action", action), target=_fit("target", target),
                     reason=_fit("reason", reason), detail=detail, ip=_fit("ip", ip))
    db.session.add(entry)
    return entry
