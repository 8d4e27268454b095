"""Schedules as the API sees them: validation (clear messages for the 400 answers), next-run times, JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from extensions import db
from libs.api_spec import Body, validate_model
from libs.column_types import ColumnText, Text
from libs.validation import ValueInvalid
from models.schedule import Schedule, ScheduleRun
from models.send_job import SendJob
from models.wechat import PUID
from wechat.schedules import timing
from wechat.sending.jobs import MAX_FILES, MAX_RECIPIENTS, MAX_TEXT

FIELDS = ("name", "to", "text", "files", "run_at", "cron", "enabled")
HISTORY = 20


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class ScheduleChanges(Body):
    """A schedule, or changes to one: `run_at` (one-off, ISO 8601, read in the schedule's zone without an offset)
    or `cron` (recurring)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: ColumnText(Schedule.name, strip=True, display_name=True) = None
    to: Annotated[list[Text(PUID, min_length=1, strip=True)], Field(max_length=MAX_RECIPIENTS),
                  AfterValidator(_unique)] = None
    text: ColumnText(Schedule.text, max_length=MAX_TEXT) = None
    files: Annotated[list[Text(64)], Field(max_length=MAX_FILES)] = None
    run_at: Text(64) | None = None
    cron: Text(timing.MAX_CRON) | None = None
    enabled: bool = None


FIELDS = tuple(ScheduleChanges.model_fields)


def next_run(kind: str, run_at: datetime | None, cron: str | None, tz_name: str, enabled: bool,
             now: datetime) -> datetime | None:
    if not enabled:
        return None
    if kind == "once":
        return run_at if run_at is not None and run_at > now else None
    return timing.next_cron(cron, now, timing.zone(tz_name))


def validate(data: Any, now: datetime, tz_name: str, upload_exists: Callable[[str], bool],
             current: Schedule | None = None) -> dict[str, Any]:
    """Check a new schedule (current=None) or a change; returns the columns to set (next_run_at included)."""
    data = validate_model(ScheduleChanges, data).model_dump(exclude_unset=True)
    if current is None and "to" not in data:
        raise ValueInvalid("to", "is required: a list of contact or group ids")
    if "to" in data and not data["to"]:
        raise ValueInvalid("to", "needs at least one recipient")
    if data.get("run_at") is not None and data.get("cron") is not None:
        raise ValueInvalid("cron", "give either 'run_at' (one-off) or 'cron' (recurring), not both")
    out: dict[str, Any] = {key: data[key] for key in ("name", "text", "enabled") if key in data}
    if "to" in data:
        out["recipients"] = data["to"]
    for upload_id in data.get("files", []):
        if not upload_exists(upload_id):
            raise ValueInvalid("files", f"unknown upload id {upload_id!r}")
    if "files" in data:
        out["files"] = data["files"]
    text = out.get("text", current.text if current is not None else "")
    files = out.get("files", current.files if current is not None else [])
    if not (text or "").strip() and not files:
        raise ValueInvalid("text", "nothing to send: give 'text' or 'files'")
    tz = timing.zone(tz_name)
    if data.get("cron") is not None:
        try:
            out.update(kind="cron", cron=timing.check_cron(data["cron"]), run_at=None)
        except timing.TimingInvalid as exc:
            raise ValueInvalid("cron", str(exc)) from None
    elif data.get("run_at") is not None:
        try:
            run_at = timing.parse_local_time(data["run_at"], tz)
        except timing.TimingInvalid as exc:
            raise ValueInvalid("run_at", str(exc)) from None
        out.update(kind="once", run_at=run_at, cron=None)
    elif current is None:
        raise ValueInvalid("run_at", "give 'run_at' (a one-off date-time) or 'cron' (a recurring schedule)")
    kind = out.get("kind", current.kind if current is not None else None)
    run_at = out.get("run_at", current.run_at if current is not None else None)
    enabled = out.get("enabled", current.enabled if current is not None else True)
    timing_changed = current is None or {"kind", "enabled"} & set(out) or "run_at" in out or "cron" in out
    if kind == "once" and enabled and timing_changed and (run_at is None or run_at <= now):
        raise ValueInvalid("run_at", f"{_local(run_at, tz_name)} is in the past (time zone {tz_name})")
    if timing_changed:
        out["next_run_at"] = next_run(kind, run_at, out.get("cron", current.cron if current else None), tz_name,
                                      enabled, now)
    return out


def _local(value: datetime | None, tz_name: str) -> str | None:
    return value.astimezone(timing.zone(tz_name)).isoformat() if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_as_dict(run: ScheduleRun, jobs: dict[int, SendJob]) -> dict[str, Any]:
    job = jobs.get(run.job_id) if run.job_id else None
    return {"id": run.id, "due_at": _iso(run.due_at), "ran_at": _iso(run.ran_at), "status": run.status,
            "job_id": run.job_id, "job_status": job.status if job is not None else None, "missed": run.missed,
            "note": run.note}


def as_dict(schedule: Schedule, history: int = HISTORY) -> dict[str, Any]:
    runs = db.session.execute(
        db.select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)
        .order_by(ScheduleRun.due_at.desc(), ScheduleRun.id.desc()).limit(history)
    ).scalars().all() if schedule.id else []
    job_ids = [run.job_id for run in runs if run.job_id]
    jobs = {job.id: job for job in db.session.execute(db.select(SendJob).where(SendJob.id.in_(job_ids))).scalars()
            } if job_ids else {}
    tz = schedule.timezone
    return {
        "id": schedule.id, "name": schedule.name, "kind": schedule.kind, "cron": schedule.cron,
        "run_at": _iso(schedule.run_at), "run_at_local": _local(schedule.run_at, tz), "timezone": tz,
        "to": list(schedule.recipients or []), "text": schedule.text, "files": list(schedule.files or []),
        "enabled": schedule.enabled, "next_run_at": _iso(schedule.next_run_at),
        "next_run_local": _local(schedule.next_run_at, tz), "last_run_at": _iso(schedule.last_run_at),
        "created_by": schedule.created_by, "created_at": _iso(schedule.created_at),
        "updated_at": _iso(schedule.updated_at), "runs": [run_as_dict(run, jobs) for run in runs],
    }
