"""Starting, watching and talking to the listener, from any process (web, beat, worker): the web-facing side.

The listener itself runs in a worker (wechat/bot/listener.py, built by wechat/bot/worker_wiring.py); this module
sends it work over Celery and reads its state from Redis, so the web process never opens a WeChat session of its
own, and importing it loads nothing of the bot (views and metrics import it).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from flask import Flask, current_app, g, has_app_context

from wechat.bot.state import BotState

logger = logging.getLogger(__name__)

NOT_LOGGED_IN = {"ok": False, "error": "not_logged_in", "message": "WeChat is not logged in"}


# -- which account ------------------------------------------------------------------------------------------------
# Every function below takes the account (its slot, wechat/workers/slots.py) explicitly; when it is not given, the
# account chosen for the current app context (`use_account`: a task of one account, or the web request's account), else
# the installation's default account (WECHAT_ACCOUNT), which keeps single-account callers as they were.
def use_account(account: str | None) -> None:
    """Make `account` the one this app context works for (the task shells and the web's account resolver)."""
    g.wechat_account = account


def current_account(app: Flask | None = None) -> str:
    chosen = g.get("wechat_account") if has_app_context() else None
    return chosen or (app or current_app).config["WECHAT_ACCOUNT"]


def bot_state(app: Flask | None = None, account: str | None = None) -> BotState:
    app = app or current_app
    return BotState(app.extensions["redis"], account or current_account(app))


def celery_app(app: Flask | None = None) -> Celery:
    return (app or current_app).extensions["celery"]


# -- listener lifecycle ------------------------------------------------------------------------------------------
def launch_listener(app: Flask | None = None, replace: bool = False, force: bool = False,
                    account: str | None = None, worker: str | None = None) -> str | None:
    """Send a listener task for `account`, to any worker, or to `worker` itself (libs/queues.py routes it). With
    replace, the running one (task id kept in Redis) is asked to stop and revoked.

    Launches are deduplicated for a few seconds (many workers become ready at once; the watchdog and the placement
    loops also launch).
    """
    app = app or current_app
    account = account or current_account(app)
    state = bot_state(app, account)
    if replace:
        old = state.listener().get("task_id")
        if old:
            state.request_stop(old)
            celery_app(app).control.revoke(old)
        state.set_paused(None)
        state.clear_launch()
    if not (state.mark_launch() or force):
        return None
    if worker:  # whom the launch is for: if that worker dies first, placement need not wait for the mark to expire
        state.client.set(state.key("launch_to"), worker, ex=30)
    kwargs = {"account": account, **({"worker": worker} if worker else {})}
    # A launch meant for one worker expires with its de-duplication mark: if that worker died before taking it,
    # a worker restarted under the same name must not start a stale listener later (placement launches again).
    result = celery_app(app).send_task("wechat.listener", kwargs=kwargs, expires=30 if worker else None)
    logger.info("listener task %s sent for %s%s", result.id, account, f" to {worker}" if worker else "")
    return result.id


def request_new_qr(app: Flask | None = None, account: str | None = None) -> dict[str, Any]:
    """The dashboard's "new QR code". A listener waiting for a scan replaces its QR code in its own login loop
    (never a second QR loop beside it); with no listener, or one that ended (refused, logged out), a fresh listener
    is sent, replacing whatever still runs (it takes over under the fencing rule, wechat/bot/fence.py)."""
    app = app or current_app
    account = account or current_account(app)
    state = bot_state(app, account)
    holder = state.lease_holder()
    current = state.login()["state"]
    if holder and current in ("waiting", "scanned"):
        state.request_qr_refresh()
        return {"task_id": holder, "replaced": False}
    if holder and current in ("starting", "confirmed"):
        return {"task_id": holder, "replaced": False}  # a QR code (or the login) is on its way already
    return {"task_id": launch_listener(app, replace=True, account=account), "replaced": True}


def needs_relaunch(paused: str | None, lease_holder: str | None, heartbeat_age: float | None,
                   stale_after: float) -> bool:
    """The watchdog's rule: relaunch when nobody holds the lease and the heartbeat is stale, unless paused."""
    if paused or lease_holder:
        return False
    return heartbeat_age is None or heartbeat_age > stale_after


def watchdog(app: Flask | None = None, account: str | None = None) -> bool:
    """One account's watchdog (the beat task runs it for every account that should run, wechat/tasks.py)."""
    app = app or current_app
    account = account or current_account(app)
    state = bot_state(app, account)
    holder = state.lease_holder()
    if holder is None:
        # A listener that died without giving its lease up (killed worker) left its last words behind: replace
        # them (and tell the browsers) with what is true now. Applies only while the lease is still free.
        derived = state.login()
        if state.recorded_login().get("state") != derived["state"]:
            state.no_listener("the listener stopped without handing over (its worker ended?)")
    stale_after = 3 * app.config["LISTENER_HEARTBEAT"]
    if needs_relaunch(state.paused(), holder, state.heartbeat_age(), stale_after):
        return launch_listener(app, account=account) is not None
    return False


# -- commands ----------------------------------------------------------------------------------------------------
def call_bot(name: str, kwargs: dict[str, Any], timeout: float | None = None,
             app: Flask | None = None, account: str | None = None) -> dict[str, Any]:
    """Run a bot command in the process holding the account's bot and wait (bounded) for its answer."""
    app = app or current_app
    account = account or current_account(app)
    if not bot_state(app, account).is_logged_in():
        return NOT_LOGGED_IN
    timeout = timeout or app.config["BOT_COMMAND_TIMEOUT"]
    result = send_to_bot("wechat.bot_command", [name, kwargs], app, expires=timeout, account=account)
    try:
        return result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False) or NOT_LOGGED_IN
    except CeleryTimeout:
        result.revoke()
        return {"ok": False, "error": "not_logged_in",
                "message": "WeChat is not logged in, or the bot did not answer in time"}


def send_to_bot(name: str, args: list, app: Flask | None = None, expires: float | None = None,
                account: str | None = None):
    """Queue a task for the process holding the account's bot. Every such task expires (BOT_TASK_EXPIRES): while
    nobody is logged in, nobody consumes the bot queue, and what waits there must not pile up for the next login
    (send jobs are resumed at every login anyway, see resume_send_jobs)."""
    app = app or current_app
    # The queue comes from task_routes (config.py, libs/queues.py), read off the `account` argument: one place
    # routes every bot task.
    return celery_app(app).send_task(name, args=args, kwargs={"account": account or current_account(app)},
                                     expires=expires or app.config["BOT_TASK_EXPIRES"])


def enqueue_send_job(job_id: int, app: Flask | None = None, account: str | None = None) -> None:
    """Queue a send job for the account it belongs to (its row's slot, wechat/workers/slots.py) unless `account`
    says."""
    if account is None:
        account = _job_account(job_id, app)
    send_to_bot("wechat.send_job", [job_id], app, account=account)


def _job_account(job_id: int, app: Flask | None) -> str | None:
    from extensions import db
    from models.send_job import SendJob
    from wechat.workers.slots import slot_of_account

    if not has_app_context():
        with app.app_context():
            return _job_account(job_id, app)
    app = app or current_app
    account_id = db.session.execute(db.select(SendJob.account_id).where(SendJob.id == job_id)).scalar_one_or_none()
    if account_id is None:
        return None  # a job of no account (older rows): the current one, as before
    return slot_of_account(account_id, app)
