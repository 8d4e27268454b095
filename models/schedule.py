"""Scheduled messages (one-off or cron) and the history of their runs.

`next_run_at` is the next occurrence in UTC (NULL once a one-off has run or a schedule is switched off); the
scheduler claims an occurrence by moving it forward with a compare-and-set, and the unique (schedule, due time)
of a run makes a second claim of the same occurrence impossible even across processes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import LongText, UTCDateTime, utcnow

SCHEDULE_KINDS = ("once", "cron")
RUN_STATES = ("queued", "missed", "failed")


class Schedule(db.Model):
    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_enabled_next", "enabled", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(8))  # SCHEDULE_KINDS
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # kind "once"
    cron: Mapped[str | None] = mapped_column(String(120))  # kind "cron", read in `timezone`
    timezone: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(LongText, default="")
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)  # upload ids
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)  # contact and group puids
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    runs: Mapped[list[ScheduleRun]] = relationship(back_populates="schedule", cascade="all, delete-orphan",
                                                   order_by="ScheduleRun.due_at.desc()")


class ScheduleRun(db.Model):
    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the occurrence (the first one, for a missed gap)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # RUN_STATES
    job_id: Mapped[int | None] = mapped_column(Integer)  # the send job (no FK: jobs may be purged)
    missed: Mapped[int] = mapped_column(Integer, default=0)  # occurrences skipped in a "missed" entry
    note: Mapped[str | None] = mapped_column(String(255))

    schedule: Mapped[Schedule] = relationship(back_populates="runs")
