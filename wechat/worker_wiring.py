"""How a worker builds and wires its listener: the driver, the dispatcher and what follows a login.

The worker side of wechat/control.py (which views and metrics import): only the listener task and the bot's own
process need the listener, the driver factory and the handlers, so only they import this module.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from wechat.control import bot_state, celery_app, enqueue_send_job, launch_listener, send_to_bot
from wechat.dispatch import BotContext, install_dispatcher
from wechat.driver_factory import build_driver, itchat, uses_seam
from wechat.listener import Listener, ListenerSettings

logger = logging.getLogger(__name__)


def session_files(app: Flask) -> itchat.SessionFiles:
    return itchat.SessionFiles.for_account(Path(app.instance_path), app.config["WECHAT_ACCOUNT"])


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
                              make_context=lambda driver, halt: BotContext(app, state, driver, on_halt=halt),
                              on_session_end=lambda message: notify_session_end(app, message))
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


def after_login(app: Flask) -> None:
    """Refresh the database copy of the account, then finish what was interrupted."""
    send_to_bot("wechat.sync", ["all"], app)
    resume_send_jobs(app)


def resume_send_jobs(app: Flask) -> int:
    """After a login, send every unfinished job again (a per-job lease keeps a job from running twice)."""
    from wechat.sending.jobs import unfinished_job_ids

    with app.app_context():
        ids = unfinished_job_ids()
        for job_id in ids:
            enqueue_send_job(job_id, app)
    if ids:
        logger.info("resuming send jobs %s", ids)
    return len(ids)


