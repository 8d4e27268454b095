"""Celery tasks: thin shells over plain functions (wechat/control.py, bot/worker_wiring.py, bot/command_runner.py,
sending/jobs.py).

Every task of one account takes it as its `account` keyword (a slot, wechat/workers/slots.py; None: the default
account); the router (libs/queues.py) reads the same argument to send the bot's tasks to the account's queue. Periodic
tasks that concern every account (watchdog, sync, unread notifications) fan out over the accounts that run.
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from wechat import control
from wechat.bot import runtime, worker_wiring
from wechat.bot.command_runner import run_command
from wechat.bot.lease import Lease

logger = logging.getLogger(__name__)


@shared_task(name="wechat.ping", ignore_result=False, soft_time_limit=10)
def ping(payload: dict) -> dict:
    """Round trip for health and tests: proves the broker, the msgpack serializer and a worker all work."""
    return {"pong": payload}


# Not acks_late: a task that runs for hours would be redelivered by Redis' visibility timeout while still running,
# giving two listeners. If the worker dies, the watchdog (below) starts a new one instead.
@shared_task(name="wechat.listener", bind=True, acks_late=False, ignore_result=True)
def listener(self, account: str | None = None, worker: str | None = None) -> str:
    """`worker`: the worker this launch was meant for (routing only: the worker's own queue)."""
    account = _use(account)
    return worker_wiring.build_listener(self.request.id, self.request.hostname, account=account).run()


def _use(account: str | None) -> str:
    """This task works for `account` (the default one when not given): control's functions default to it."""
    account = account or current_app.config["WECHAT_ACCOUNT"]
    control.use_account(account)
    return account


def _running_slots() -> list[str]:
    from wechat.workers.slots import running_slots

    return running_slots()


@shared_task(name="wechat.watchdog", ignore_result=True, soft_time_limit=30)
def watchdog() -> int:
    """Beat: every account that should run (wechat/workers/slots.py) gets its listener relaunched if it died."""
    launched = 0
    for account in _running_slots():
        try:
            launched += bool(control.watchdog(account=account))
        except Exception:  # one account's trouble must not keep the others' listeners down
            logger.exception("watchdog of %s failed", account)
    return launched


@shared_task(name="wechat.bot_command", ignore_result=False, soft_time_limit=120)
def bot_command(name: str, kwargs: dict, account: str | None = None) -> dict:
    """Runs in the process that holds the account's bot (routed to its queue)."""
    account = _use(account)
    try:
        bot = runtime.current_bot(account)
    except runtime.BotNotReady:
        return control.NOT_LOGGED_IN
    return run_command(bot, name, kwargs)


@shared_task(name="wechat.notify_session_end", ignore_result=True, soft_time_limit=30)
def notify_session_end(message: str, account: str) -> bool:
    from wechat.bot.session_end import notify_webhook

    return notify_webhook(current_app.config["SESSION_END_WEBHOOK_URL"],
                          {"event": "wechat.session_ended", "account": account, "message": message})


JOB_LEASE_TTL = 15.0


@shared_task(name="wechat.send_job", bind=True, ignore_result=True, max_retries=40)
def send_job(self, job_id: int, account: str | None = None) -> str:
    """Runs in the process that holds the account's bot. A per-job lease keeps a job from running twice at once;
    when a dead worker's lease is still there, try again once it has expired."""
    from wechat.sending.job_task import run_job

    account = _use(account)
    state = control.bot_state(account=account)
    lease = Lease(state.client, state.key(f"job:{job_id}"), ttl_seconds=JOB_LEASE_TTL)
    owner = self.request.id or f"local-{job_id}"
    if not lease.acquire(owner):
        raise self.retry(countdown=JOB_LEASE_TTL / 2)
    try:
        return run_job(job_id, current_app.config, lambda: lease.renew(owner))
    finally:
        lease.release(owner)


@shared_task(name="wechat.sync", ignore_result=False, soft_time_limit=1800)
def sync(what: str = "all", account: str | None = None) -> dict:
    """Runs in the process that holds the account's bot (routed to its queue)."""
    from extensions import db
    from wechat.accounts import account_of_bot
    from wechat.sync.runner import SyncBusy, run_sync

    account = _use(account)
    try:
        bot = runtime.current_bot(account)
    except runtime.BotNotReady:
        return control.NOT_LOGGED_IN
    account_id = account_of_bot(bot).id
    db.session.commit()
    try:
        results = run_sync(bot, account_id, control.bot_state(account=account), what)
    except SyncBusy as exc:
        return {"ok": False, "error": "busy", "message": str(exc)}
    control.send_to_bot("wechat.avatars", [], account=account)
    return {"ok": True, "results": results}


@shared_task(name="wechat.sync_all", ignore_result=True, soft_time_limit=60)
def sync_all(what: str = "all") -> int:
    """Beat: a sync for every account that should run, each to its own bot queue (it expires there unless that
    account is logged in)."""
    accounts = _running_slots()
    for account in accounts:
        control.send_to_bot("wechat.sync", [what], expires=120, account=account)
    return len(accounts)


@shared_task(name="wechat.avatars", ignore_result=False, soft_time_limit=1800)
def avatars(account: str | None = None) -> dict:
    """After each sync, in the process that holds the bot: the pictures that are due (a bounded number per run)."""
    from extensions import db
    from wechat.accounts import account_of_bot
    from wechat.sync.runner import run_avatars

    account = _use(account)
    try:
        bot = runtime.current_bot(account)
    except runtime.BotNotReady:
        return control.NOT_LOGGED_IN
    account_id = account_of_bot(bot).id
    db.session.commit()
    fetched = run_avatars(bot, account_id, control.bot_state(account=account))
    if fetched is None:
        return {"ok": False, "error": "busy", "message": "avatars are already being downloaded"}
    return {"ok": True, "fetched": fetched}


@shared_task(name="wechat.notify_unread", ignore_result=True, soft_time_limit=30)
def notify_unread() -> int:
    """Beat: every account's unread count, published (runs anywhere: Redis only)."""
    from wechat.messages.notifications import publish_unread

    return sum(publish_unread(control.bot_state(account=account)) for account in _running_slots())


@shared_task(name="wechat.purge_messages", ignore_result=True, soft_time_limit=600)
def purge_messages() -> int:
    from wechat.messages.retention import purge_expired

    return purge_expired(current_app.config["MESSAGE_RETENTION_DAYS"])


@shared_task(name="wechat.purge_uploads", ignore_result=True, soft_time_limit=600)
def purge_uploads() -> int:
    from wechat.sending.upload_retention import purge_uploads as purge

    return purge(current_app.config["UPLOAD_RETENTION_DAYS"])


@shared_task(name="wechat.run_schedules", ignore_result=True, soft_time_limit=60)
def run_schedules() -> dict:
    """Beat, every ~30 s; runs anywhere (the send jobs it queues go to the bot's process)."""
    from wechat.schedules.runner import run_due_schedules

    return run_due_schedules()


@shared_task(name="wechat.insights_rollup", ignore_result=True, soft_time_limit=1800)
def insights_rollup() -> list:
    """Beat, every 10 minutes; runs anywhere (SQL only)."""
    from wechat.insights.rollup import roll_up_all

    return roll_up_all(current_app.config["TIMEZONE"])
