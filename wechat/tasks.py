"""Celery tasks: thin shells over plain functions (wechat/control.py, listener.py, bot_commands.py, send_jobs.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from wechat import control, runtime
from wechat.bot_commands import run_command
from wechat.lease import Lease

logger = logging.getLogger(__name__)


@shared_task(name="wechat.ping", ignore_result=False, soft_time_limit=10)
def ping(payload: dict) -> dict:
    """Round trip for health and tests: proves the broker, the msgpack serializer and a worker all work."""
    return {"pong": payload}


# Not acks_late: a task that runs for hours would be redelivered by Redis' visibility timeout while still running,
# giving two listeners. If the worker dies, the watchdog (below) starts a new one instead.
@shared_task(name="wechat.listener", bind=True, acks_late=False, ignore_result=True)
def listener(self) -> str:
    return control.build_listener(self.request.id, self.request.hostname).run()


@shared_task(name="wechat.watchdog", ignore_result=True, soft_time_limit=30)
def watchdog() -> bool:
    return control.watchdog()


@shared_task(name="wechat.bot_command", ignore_result=False, soft_time_limit=120)
def bot_command(name: str, kwargs: dict) -> dict:
    """Runs in the process that holds the bot (routed to its queue)."""
    try:
        bot = runtime.current_bot()
    except runtime.BotNotReady:
        return control.NOT_LOGGED_IN
    return run_command(bot, name, kwargs)


JOB_LEASE_TTL = 15.0


@shared_task(name="wechat.send_job", bind=True, ignore_result=True, max_retries=40)
def send_job(self, job_id: int) -> str:
    """Runs in the process that holds the bot. A per-job lease keeps a job from running twice at once; when a dead
    worker's lease is still there, try again once it has expired."""
    from wechat.send_job_task import run_job

    state = control.bot_state()
    lease = Lease(state.client, state.key(f"job:{job_id}"), ttl_seconds=JOB_LEASE_TTL)
    owner = self.request.id or f"local-{job_id}"
    if not lease.acquire(owner):
        raise self.retry(countdown=JOB_LEASE_TTL / 2)
    try:
        return run_job(job_id, current_app.config, lambda: lease.renew(owner))
    finally:
        lease.release(owner)
