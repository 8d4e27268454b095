"""Scheduled messages (views/schedules.py)."""

from __future__ import annotations

from pydantic import BaseModel


class RunOut(BaseModel):
    id: int
    due_at: str | None
    ran_at: str | None
    status: str
    job_id: int | None
    job_status: str | None
    missed: int | None
    note: str | None


class ScheduleOut(BaseModel):
    id: int
    name: str | None
    kind: str
    cron: str | None
    run_at: str | None
    run_at_local: str | None
    timezone: str
    to: list[str]
    text: str | None
    files: list[str]
    enabled: bool
    next_run_at: str | None
    next_run_local: str | None
    last_run_at: str | None
    created_by: str | None
    created_at: str | None
    updated_at: str | None
    runs: list[RunOut]


class Schedules(BaseModel):
    items: list[ScheduleOut]
    total: int
    page: int | None = None
    per_page: int | None = None
    timezone: str


class ScheduleAnswer(BaseModel):
    item: ScheduleOut
