"""Starting, watching and talking to the listener, from any process (web, beat, worker).

The listener itself runs in a worker (wechat/listener.py); this module sends it work over Celery and reads its
state from Redis, so the web process never opens a WeChat session of its own.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from flask import Flask, current_app

from wechat.dispatch import BotContext, install_dispatcher
from wechat.driver_factory import build_driver, itchat, uses_seam
from wechat.listener import Listener, ListenerSettings
from wechat.state import BotState

logger = logging.getLogger(__name__)

NOT_LOGGED_IN = {"ok": False, "error": "not_logged_in", "message": "WeChat is not logged in"}


def bot_state(app: Flask | None = None) -> BotState:
    app = app or current_app
    return BotState(app.extensions["redis"], app.config["WECHAT_ACCOUNT"])


def celery_app(app: Flask | None = None) -> Celery:
    return (app or current_app).extensions["celery"]


def session_files(app: Flask) -> itchat.SessionFiles:
    return itchat.SessionFiles.for_account(Path(app.instance_path), app.config["WECHAT_ACCOUNT"])


# -- listener lifecycle ------------------------------------------------------------------------------------------
def launch_listener(app: Flask | None = None, replace: bool = False, force: bool = False) -> str | None:
    """Send a listener task. With replace, the running one (task id kept in Redis) is asked to stop and revoked.

    Launches are deduplicated for a few seconds (many workers become ready at once; the watchdog also launches).
    """
    app = app or current_app
    state = bot_state(app)
    if replace:
        old = state.listener().get("task_id")
        if old:
            state.request_stop(old)
            celery_app(app).control.revoke(old)
        state.set_paused(None)
        state.clear_launch()
    if not (state.mark_launch() or force):
        return None
    result = celery_app(app).send_task("wechat.listener")
    logger.info("listener task %s sent", result.id)
    return result.id


def request_new_qr(app: Flask | None = None) -> dict[str, Any]:
    """The dashboard's "new QR code". A listener waiting for a scan replaces its QR code in its own login loop
    (never a second QR loop beside it); with no listener, or one that ended (refused, logged out), a fresh listener
    is sent, replacing whatever still runs (it takes over under the fencing rule, wechat/fence.py)."""
    app = app or current_app
    state = bot_state(app)
    holder = state.lease_holder()
    current = state.login()["state"]
    if holder and current in ("waiting", "scanned"):
        state.request_qr_refresh()
        return {"task_id": holder, "replaced": False}
    if holder and current in ("starting", "confirmed"):
        return {"task_id": holder, "replaced": False}  # a QR code (or the login) is on its way already
    return {"task_id": launch_listener(app, replace=True), "replaced": True}


def needs_relaunch(paused: str | None, lease_holder: str | None, heartbeat_age: float | None,
                   stale_after: float) -> bool:
    """The watchdog's rule: relaunch when nobody holds the lease and the heartbeat is stale, unless paused."""
    if paused or lease_holder:
        return False
    return heartbeat_age is None or heartbeat_age > stale_after


def watchdog(app: Flask | None = None) -> bool:
    app = app or current_app
    state = bot_state(app)
    holder = state.lease_holder()
    if holder is None:
        # A listener that died without giving its lease up (killed worker) left its last words behind: replace
        # them (and tell the browsers) with what is true now. Applies only while the lease is still free.
        derived = state.login()
        if state.recorded_login().get("state") != derived["state"]:
            state.no_listener("the listener stopped without handing over (its worker ended?)")
    stale_after = 3 * app.config["LISTENER_HEARTBEAT"]
    if needs_relaunch(state.paused(), holder, state.heartbeat_age(), stale_after):
        return launch_listener(app) is not None
    return False


def build_listener(task_id: str, hostname: str, app: Flask | None = None) -> Listener:
    app = app or current_app._get_current_object()
    config = app.config
    itchat.configure_itchat(config["WECHAT_BASE_URL"], config["WECHAT_LOGIN_MODE"], config["WECHAT_UOS_EXTSPAM"])
    state = bot_state(app)
    settings = ListenerSettings(account=config["WECHAT_ACCOUNT"], lease_ttl=config["LISTENER_LEASE_TTL"],
                                heartbeat_interval=config["LISTENER_HEARTBEAT"],
                                acquire_wait=config["LISTENER_LEASE_TTL"] + 5)
    if uses_seam(config):
        from wechat.driver_listener import DriverListener

        return DriverListener(state, session_files(app), settings, task_id, hostname,
                              relaunch=lambda: launch_listener(app, force=True),
                              on_ready=lambda driver: after_login(app),
                              make_driver=lambda: build_driver(config),
                              make_context=lambda driver, halt: BotContext(app, state, driver, on_halt=halt))
    return Listener(state, session_files(app), settings, task_id, hostname,
                    relaunch=lambda: launch_listener(app, force=True),
                    install_handlers=lambda bot, done, halt: install_dispatcher(
                        BotContext(app, state, bot, [done], on_halt=halt)),
                    on_ready=lambda bot: after_login(app),
                    on_session_end=lambda message: notify_session_end(app, message))


def notify_session_end(app: Flask, message: str) -> None:
    """Queue the optional webhook call (a task of its own: the fresh QR must not wait for someone's server)."""
    if app.config.get("SESSION_END_WEBHOOK_URL"):
        celery_app(app).send_task("wechat.notify_session_end", args=[message, app.config["WECHAT_ACCOUNT"]])


# -- commands ----------------------------------------------------------------------------------------------------
def call_bot(name: str, kwargs: dict[str, Any], timeout: float | None = None,
             app: Flask | None = None) -> dict[str, Any]:
    """Run a bot command in the process holding the bot and wait (bounded) for its answer."""
    app = app or current_app
    if not bot_state(app).is_logged_in():
        return NOT_LOGGED_IN
    timeout = timeout or app.config["BOT_COMMAND_TIMEOUT"]
    result = send_to_bot("wechat.bot_command", [name, kwargs], app, expires=timeout)
    try:
        return result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False) or NOT_LOGGED_IN
    except CeleryTimeout:
        result.revoke()
        return {"ok": False, "error": "not_logged_in",
                "message": "WeChat is not logged in, or the bot did not answer in time"}


def send_to_bot(name: str, args: list, app: Flask | None = None, expires: float | None = None):
    """Queue a task for the process holding the bot. Every such task expires (BOT_TASK_EXPIRES): while nobody is
    logged in, nobody consumes the bot queue, and what waits there must not pile up for the next login (send jobs
    are resumed at every login anyway, see resume_send_jobs)."""
    app = app or current_app
    # The queue comes from task_routes (config.py, libs/queues.py): one place routes every bot task.
    return celery_app(app).send_task(name, args=args, expires=expires or app.config["BOT_TASK_EXPIRES"])


def enqueue_send_job(job_id: int, app: Flask | None = None) -> None:
    send_to_bot("wechat.send_job", [job_id], app)


def after_login(app: Flask) -> None:
    """Refresh the database copy of the account, then finish what was interrupted."""
    send_to_bot("wechat.sync", ["all"], app)
    resume_send_jobs(app)


def resume_send_jobs(app: Flask) -> int:
    """After a login, send every unfinished job again (a per-job lease keeps a job from running twice)."""
    from wechat.send_jobs import unfinished_job_ids

    with app.app_context():
        ids = unfinished_job_ids()
        for job_id in ids:
            enqueue_send_job(job_id, app)
    if ids:
        logger.info("resuming send jobs %s", ids)
    return len(ids)


