"""The scheduler tick (`wechat.run_schedules`, from beat every ~30 s): send what is due, report what was missed.

Each due schedule is claimed with a compare-and-set on its `next_run_at` (only the tick that moves it forward
acts), in the same transaction as the run history and the send job, so two ticks — two beats, or a beat and a
test calling this directly — cannot send an occurrence twice. Sends go through send jobs (created_by "schedule",
reason "schedule <id>"): paced, resumable, in the process that holds the bot.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.audit import record
from models.schedule import Schedule, ScheduleRun
from models.types import utcnow
from wechat.control import enqueue_send_job
from wechat.schedules import timing
from wechat.sending.jobs import JobInvalid, create_send_job

logger = logging.getLogger(__name__)

ACTOR = "schedule"
BATCH = 200


def plan_for(schedule: Schedule, now: datetime, grace: float) -> timing.TickPlan:
    if schedule.kind == "cron":
        tz = timing.zone(schedule.timezone)
        expr = schedule.cron
        return timing.plan_tick(schedule.next_run_at, now, grace,
                                latest=lambda at: timing.latest_cron(expr, at, tz),
                                following=lambda at: timing.next_cron(expr, at, tz))
    return timing.plan_tick(schedule.next_run_at, now, grace)


def _missed_note(schedule: Schedule, plan: timing.TickPlan) -> str:
    tz = timing.zone(schedule.timezone)
    first = plan.missed_first.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    last = (plan.missed_last or plan.missed_first).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    count = f"{plan.missed}{'+' if plan.missed_more else ''}"
    span = first if first == last else f"{first} … {last}"
    return f"{count} run(s) not sent ({span} {schedule.timezone}): the scheduler was not running"[:255]


def run_schedule(schedule_id: int, now: datetime, grace: float) -> dict[str, Any] | None:
    """Handle one due schedule; returns what happened, or None when it was not due (or another tick took it)."""
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or not schedule.enabled or schedule.next_run_at is None or schedule.next_run_at > now:
        db.session.rollback()
        return None
    claimed = schedule.next_run_at
    plan = plan_for(schedule, now, grace)
    values: dict[str, Any] = {"next_run_at": plan.next_run_at}
    if plan.fire is not None:
        values["last_run_at"] = now
    moved = db.session.execute(update(Schedule).where(Schedule.id == schedule.id, Schedule.next_run_at == claimed)
                               .values(**values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        return None
    outcome: dict[str, Any] = {"schedule": schedule.id, "missed": plan.missed, "job": None}
    if plan.missed:
        db.session.add(ScheduleRun(schedule_id=schedule.id, due_at=plan.missed_first, ran_at=now, status="missed",
                                   missed=plan.missed, note=_missed_note(schedule, plan)))
        record(ACTOR, "schedule.missed", target=f"schedule {schedule.id}", reason="missed while down",
               detail={"missed": plan.missed}, account_id=schedule.account_id)
    if plan.fire is not None:
        reason = f"schedule {schedule.id}"
        try:
            job = create_send_job(list(schedule.recipients), schedule.text, list(schedule.files or []),
                                  created_by=ACTOR, reason=reason, account_id=schedule.account_id)
            db.session.flush()
            db.session.add(ScheduleRun(schedule_id=schedule.id, due_at=plan.fire, ran_at=now, status="queued",
                                       job_id=job.id))
            record(ACTOR, "schedule.run", target=reason, reason=schedule.name or reason, detail={"job": job.id},
                   account_id=schedule.account_id)
            outcome["job"] = job.id
        except JobInvalid as exc:
            db.session.add(ScheduleRun(schedule_id=schedule.id, due_at=plan.fire, ran_at=now, status="failed",
                                       note=str(exc)[:255]))
    try:
        db.session.commit()
    except IntegrityError:  # another tick recorded this occurrence first
        db.session.rollback()
        return None
    if outcome["job"] is not None:
        enqueue_send_job(outcome["job"])
    return outcome


def run_due_schedules(now: datetime | None = None, grace: float | None = None) -> dict[str, int]:
    """One tick. `now` may be given (tests); it defaults to the current time."""
    now = now or utcnow()
    grace = float(current_app.config["SCHEDULE_GRACE_SECONDS"] if grace is None else grace)
    due = db.session.execute(
        db.select(Schedule.id).where(Schedule.enabled.is_(True), Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at).limit(BATCH)
    ).scalars().all()
    db.session.rollback()
    summary = {"due": len(due), "queued": 0, "missed": 0}
    for schedule_id in due:
        try:
            outcome = run_schedule(schedule_id, now, grace)
        except Exception:  # one broken schedule must not stop the others
            db.session.rollback()
            logger.exception("schedule %s failed", schedule_id)
            continue
        if outcome is not None:
            summary["queued"] += outcome["job"] is not None
            summary["missed"] += outcome["missed"]
    return summary
