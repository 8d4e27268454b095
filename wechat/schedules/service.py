"""Schedules as the API sees them: validation (clear messages for the 400 answers), next-run times, JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from extensions import db
from libs.validation import ValueInvalid, check_column
from models.schedule import Schedule, ScheduleRun
from models.send_job import SendJob
from models.wechat import PUID
from wechat.schedules import timing
from wechat.send_jobs import MAX_FILES, MAX_RECIPIENTS, MAX_TEXT

FIELDS = ("name", "to", "text", "files", "run_at", "cron", "enabled")
HISTORY = 20


class ScheduleInvalid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _stored(column: Any, value: Any, field: str, display_name: bool = False) -> Any:
    """The value as the column stores it on every engine (libs/validation.py), else ScheduleInvalid."""
    if not isinstance(value, str):
        raise ScheduleInvalid(field, "must be a string")
    try:
        return check_column(column, value, field, display_name=display_name)
    except ValueInvalid as exc:
        raise ScheduleInvalid(field, exc.message) from None


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
    if not isinstance(data, dict):
        raise ScheduleInvalid("schedule", "must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ScheduleInvalid(unknown[0], f"unknown field (known: {', '.join(FIELDS)})")
    if "run_at" in data and "cron" in data and data["run_at"] is not None and data["cron"] is not None:
        raise ScheduleInvalid("cron", "give either 'run_at' (one-off) or 'cron' (recurring), not both")
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _stored(Schedule.name, data["name"], "name", display_name=True).strip()
    if "to" in data or current is None:
        to = data.get("to")
        if not isinstance(to, list) or not all(isinstance(p, str) and p.strip() and len(p.strip()) <= PUID
                                               for p in to):
            raise ScheduleInvalid("to", "must be a list of contact or group ids")
        to = list(dict.fromkeys(p.strip() for p in to))
        if not to:
            raise ScheduleInvalid("to", "needs at least one recipient")
        if len(to) > MAX_RECIPIENTS:
            raise ScheduleInvalid("to", f"at most {MAX_RECIPIENTS} recipients")
        out["recipients"] = to
    if "text" in data:
        if not isinstance(data["text"], str) or len(data["text"]) > MAX_TEXT:
            raise ScheduleInvalid("text", f"must be a string of at most {MAX_TEXT} characters")
        out["text"] = _stored(Schedule.text, data["text"], "text")
    if "files" in data:
        files = data["files"]
        if not isinstance(files, list) or len(files) > MAX_FILES or not all(isinstance(f, str) for f in files):
            raise ScheduleInvalid("files", f"must be a list of at most {MAX_FILES} upload ids")
        for upload_id in files:
            if not upload_exists(upload_id):
                raise ScheduleInvalid("files", f"unknown upload id {upload_id!r}")
        out["files"] = files
    text = out.get("text", current.text if current is not None else "")
    files = out.get("files", current.files if current is not None else [])
    if not (text or "").strip() and not files:
        raise ScheduleInvalid("text", "nothing to send: give 'text' or 'files'")
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise ScheduleInvalid("enabled", "must be true or false")
        out["enabled"] = data["enabled"]
    tz = timing.zone(tz_name)
    if data.get("cron") is not None:
        try:
            out.update(kind="cron", cron=timing.check_cron(data["cron"]), run_at=None)
        except timing.TimingInvalid as exc:
            raise ScheduleInvalid("cron", str(exc)) from None
    elif data.get("run_at") is not None:
        if not isinstance(data["run_at"], str):
            raise ScheduleInvalid("run_at", "must be an ISO 8601 date-time string")
        try:
            run_at = timing.parse_local_time(data["run_at"], tz)
        except timing.TimingInvalid as exc:
            raise ScheduleInvalid("run_at", str(exc)) from None
        out.update(kind="once", run_at=run_at, cron=None)
    elif current is None:
        raise ScheduleInvalid("run_at", "give 'run_at' (a one-off date-time) or 'cron' (a recurring schedule)")
    kind = out.get("kind", current.kind if current is not None else None)
    run_at = out.get("run_at", current.run_at if current is not None else None)
    enabled = out.get("enabled", current.enabled if current is not None else True)
    timing_changed = current is None or {"kind", "enabled"} & set(out) or "run_at" in out or "cron" in out
    if kind == "once" and enabled and timing_changed and (run_at is None or run_at <= now):
        raise ScheduleInvalid("run_at", f"{_local(run_at, tz_name)} is in the past (time zone {tz_name})")
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
