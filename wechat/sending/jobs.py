"""Send jobs: one message (text and files) to many recipients, paced, resumable, each recipient at most once.

A job's recipients are items with their own state in SQL. The runner marks an item "attempted" (committed) before
its request goes out, then commits the result ("sent"/"failed") before pacing on, and stops (leaving the rest
pending) when the bot goes away; the listener resumes unfinished jobs after the next login.

The guarantee is at most once, and it does not rest on WeChat: an item still "attempted" when a job resumes was
interrupted mid-request (a crash, a killed worker), and nothing shows whether the message went out. Such an item
becomes "uncertain": counted and shown, never resent by itself; the operator may resend it (`resend_uncertain`).
Every part still carries a ClientMsgId derived from (job, item, part): the web client sends one, and if the
service does deduplicate it, a resend by the operator is the safer for it; nothing here relies on that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from extensions import db
from libs.events import publish
from libs.validation import column_length
from models.send_job import SendJob, SendJobItem
from models.types import utcnow
from wechat.bot.command_runner import CommandError
from wechat.bot.driver_factory import itchat
from wechat.bot.runtime import BotNotReady
from wechat.sending.lane import SendLane
from wechat.sending.pacing import Pacer

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 5000
MAX_TEXT = 10000
MAX_FILES = 9
RATE_LIMIT_RETRIES = 3
FINAL_STATES = ("done", "cancelled", "failed")


class JobInvalid(ValueError):
    """The request for a job is malformed; the message says what to fix."""


def create_send_job(recipients: list[str], text: str, files: list[str], created_by: str,
                    reason: str = "bulk send", account_id: int | None = None) -> SendJob:
    """Validate and store a job (the caller commits)."""
    longest = column_length(SendJobItem.recipient_puid)
    if not isinstance(recipients, list) or not all(isinstance(r, str) and r.strip() and len(r.strip()) <= longest
                                                   for r in recipients):
        raise JobInvalid(f"'to' must be a list of contact, group or member ids (at most {longest} characters)")
    unique = list(dict.fromkeys(r.strip() for r in recipients))
    if not unique:
        raise JobInvalid("'to' needs at least one recipient")
    if len(unique) > MAX_RECIPIENTS:
        raise JobInvalid(f"at most {MAX_RECIPIENTS} recipients per job")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise JobInvalid(f"'text' must be a string of at most {MAX_TEXT} characters")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files) or len(files) > MAX_FILES:
        raise JobInvalid(f"'files' must be a list of at most {MAX_FILES} upload ids")
    if not text.strip() and not files:
        raise JobInvalid("nothing to send: give 'text' or 'files'")
    job = SendJob(created_by=created_by, reason=reason, account_id=account_id, text=text, files=files,
                  total=len(unique), status="pending")
    job.items = [SendJobItem(position=i, recipient_puid=puid) for i, puid in enumerate(unique)]
    db.session.add(job)
    return job


def job_as_dict(job: SendJob) -> dict[str, Any]:
    return {
        "id": job.id, "account_id": job.account_id, "status": job.status, "reason": job.reason,
        "created_by": job.created_by,
        "total": job.total, "sent": job.sent, "failed": job.failed, "uncertain": job.uncertain or 0,
        "error": job.error,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
    }


def publish_job(job: SendJob) -> None:
    publish("job", job_as_dict(job))


def cancel_job(job: SendJob) -> bool:
    if job.status in FINAL_STATES:
        return False
    job.status = "cancelled"
    db.session.commit()
    publish_job(job)
    return True


def mark_interrupted_uncertain(job: SendJob) -> int:
    """Items left "attempted" by an interrupted run become "uncertain" (the caller commits)."""
    interrupted = db.session.execute(
        db.select(SendJobItem).where(SendJobItem.job_id == job.id, SendJobItem.status == "attempted")
    ).scalars().all()
    for item in interrupted:
        item.status = "uncertain"
        item.error = "interrupted while sending: it may or may not have been delivered"
    job.uncertain = (job.uncertain or 0) + len(interrupted)
    return len(interrupted)


def resend_uncertain(job: SendJob) -> int:
    """The operator's choice: uncertain items go back to pending and the job runs again (the caller commits and
    enqueues). Returns how many items will be sent again."""
    items = db.session.execute(
        db.select(SendJobItem).where(SendJobItem.job_id == job.id, SendJobItem.status == "uncertain")
    ).scalars().all()
    for item in items:
        item.status, item.error = "pending", None
    job.uncertain = 0
    if items and job.status in FINAL_STATES:
        job.status = "pending"
    return len(items)


SendItem = Callable[[str, str, list[str], list[int]], None]


class JobRunner:
    """Runs one job. `send(to, text, files, msg_ids)` delivers one recipient's message or raises.

    With a lane, every send (the first one too) waits for the account's next free slot, shared with the other
    jobs; without one, the pacer pauses between this job's own sends.
    """

    def __init__(self, job_id: int, send: SendItem, resolve_file: Callable[[str], str], pacer: Pacer,
                 backoff_base: float = 5.0, lane: SendLane | None = None) -> None:
        self.job_id = job_id
        self.send = send
        self.resolve_file = resolve_file
        self.pacer = pacer
        self.backoff_base = backoff_base
        self.lane = lane

    def run(self) -> str:
        job = db.session.get(SendJob, self.job_id)
        if job is None:
            return "missing"
        if job.status in FINAL_STATES:
            return job.status
        try:
            files = [self.resolve_file(upload_id) for upload_id in job.files]
        except (LookupError, ValueError) as exc:
            return self._finish(job, "failed", f"attachment unavailable: {exc}")
        job.status = "running"
        if mark_interrupted_uncertain(job):
            logger.warning("job %s: %s items were interrupted mid-send and are now uncertain", job.id, job.uncertain)
        db.session.commit()
        publish_job(job)
        parts = (1 if job.text else 0) + len(files)
        pending = db.session.execute(
            db.select(SendJobItem).where(SendJobItem.job_id == job.id, SendJobItem.status == "pending")
            .order_by(SendJobItem.position)
        ).scalars().all()
        for index, item in enumerate(pending):
            db.session.refresh(job)
            if job.status == "cancelled":
                return "cancelled"
            if self.lane is not None:
                self.lane.wait_turn()
            elif index:
                self.pacer.pause()
            msg_ids = [itchat.client_msg_id(job.id, item.position, part) for part in range(parts)]
            try:
                self._send_item(job, item, files, msg_ids)
            except BotNotReady:
                # Raised before any request left (no bot to send with): the item is still simply pending.
                item.status = "pending"
                db.session.commit()
                logger.info("job %s paused: WeChat is not logged in", job.id)
                return "paused"
            db.session.commit()
            publish_job(job)
        return self._finish(job, "done")

    def _send_item(self, job: SendJob, item: SendJobItem, files: list[str], msg_ids: list[int]) -> None:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            item.status = "attempted"
            db.session.commit()  # before the request: a crash from here on leaves the outcome unknown
            try:
                self.send(item.recipient_puid, job.text, files, msg_ids)
            except CommandError as exc:
                if exc.code == "rate_limited" and attempt < RATE_LIMIT_RETRIES:
                    item.status = "pending"  # WeChat refused it: nothing went out
                    # Shown in the dashboard (job.error over SSE) while backing off, so a slow job explains itself.
                    job.error = f"WeChat says the bot sends too often; retry {attempt + 1} of {RATE_LIMIT_RETRIES}"
                    db.session.commit()
                    publish_job(job)
                    self.pacer.backoff(attempt, base=self.backoff_base)
                    continue
                item.status, item.error = "failed", exc.message
                job.failed += 1
                return
            item.status, item.sent_at = "sent", utcnow()
            job.sent += 1
            if job.error and job.error.startswith("WeChat says the bot sends too often"):
                job.error = None  # the pacing worked: the job is fine again
            return

    def _finish(self, job: SendJob, status: str, error: str | None = None) -> str:
        db.session.refresh(job)
        if job.status == "cancelled":
            return "cancelled"
        job.status, job.error = status, error
        db.session.commit()
        publish_job(job)
        return status


def unfinished_job_ids(with_accounts: bool = False) -> list:
    """Ids of the jobs still to finish; with_accounts: (id, account_id) pairs."""
    columns = (SendJob.id, SendJob.account_id) if with_accounts else (SendJob.id,)
    rows = db.session.execute(
        db.select(*columns).where(SendJob.status.in_(("pending", "running"))).order_by(SendJob.id)
    ).all()
    return [tuple(row) if with_accounts else row[0] for row in rows]
