"""Audit log of admin and automated actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import JSON, ForeignKey, String
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
    # The WeChat account the action was about (NULL: the installation itself, e.g. a sign-in, or an entry from
    # before entries carried one). Members read only their accounts' entries; owners also the NULL ones.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)


# Set by views/account_context.py: the account of the current request when the route is about one. A hook, so that
# models stay free of the web layer; outside a request (worker, CLI) entries name no account unless given one.
request_account: Callable[[], int | None] | None = None


def record(actor: str, action: str, target: str | None = None, reason: str | None = None,
           detail: dict[str, Any] | None = None, ip: str | None = None, account_id: int | None = None) -> AuditLog:
    """Add an audit entry to the session; the caller's commit makes it durable with the action itself."""
    if account_id is None and request_account is not None and has_request_context():
        account_id = request_account()
    # Targets quote ids and names from requests and from WeChat: cut to the column, never a database error.
    entry = AuditLog(actor=fit(AuditLog.actor, actor), action=fit(AuditLog.action, action),
                     target=fit(AuditLog.target, target), reason=fit(AuditLog.reason, reason), detail=detail,
                     ip=fit(AuditLog.ip, ip), account_id=account_id)
    db.session.add(entry)
    return entry
