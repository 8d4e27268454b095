"""Send jobs: one message (text and files) to many recipients, paced, with progress that survives restarts.

Each recipient is an item with its own state, so a job resumed after a crash skips what was already sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import LongText, UTCDateTime, utcnow
from models.wechat import PUID


class SendJob(db.Model):
    __tablename__ = "send_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(255))  # e.g. "bulk send", "welcome", "schedule 3"
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    text: Mapped[str] = mapped_column(LongText, default="")
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)  # upload ids
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(LongText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[SendJobItem]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                    order_by="SendJobItem.position")


class SendJobItem(db.Model):
    __tablename__ = "send_job_items"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_send_job_items_job_status", "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("send_jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    recipient_puid: Mapped[str] = mapped_column(String(PUID))
    # pending → attempted (committed before the request goes out) → sent | failed. An item still "attempted" when a
    # job resumes was interrupted mid-request and may or may not have been delivered: it becomes "uncertain" and
    # is not sent again by itself (wechat/sending/jobs.py).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(LongText)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    job: Mapped[SendJob] = relationship(back_populates="items")
