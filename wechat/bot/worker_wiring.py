"""How a worker builds and wires its listener: the driver, the dispatcher and what follows a login.

The worker side of wechat/control.py (which views and metrics import): only the listener task and the bot's own
process need the listener, the driver factory and the handlers, so only they import this module.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from wechat.bot.dispatch import BotContext, install_dispatcher
from wechat.bot.driver_factory import build_driver, itchat, uses_seam
from wechat.bot.listener import Listener, ListenerSettings
from wechat.control import bot_state, celery_app, enqueue_send_job, launch_listener, send_to_bot
from wechat.workers.slots import account_config, default_slot

logger = logging.getLogger(__name__)


def session_files(app: Flask, account: str | None = None) -> itchat.SessionFiles:
    return itchat.SessionFiles.for_account(Path(app.instance_path), account or default_slot(app))


def build_listener(task_id: str, hostname: str, app: Flask | None = None, account: str | None = None) -> Listener:
    """The listener of `account` (a slot, wechat/workers/slots.py; the default one when not given), on its own
    driver."""
    app = app or current_app._get_current_object()
    account = account or default_slot(app)
    with app.app_context():
        config = account_config(account, app)
    # itchat's server is a process-wide setting: itchat accounts sharing a worker share it (docs/DEPLOY.md).
    itchat.configure_itchat(config["WECHAT_BASE_URL"], config["WECHAT_LOGIN_MODE"], config["WECHAT_UOS_EXTSPAM"])
    state = bot_state(app, account)
    settings = ListenerSettings(account=account, lease_ttl=config["LISTENER_LEASE_TTL"],
                                heartbeat_interval=config["LISTENER_HEARTBEAT"],
                                acquire_wait=config["LISTENER_LEASE_TTL"] + 5)
    files = session_files(app, account)

    def relaunch() -> None:  # on this worker (it had room for the account); placement moves it if need be
        launch_listener(app, force=True, account=account, worker=hostname)

    if uses_seam(config):
        from wechat.bot.driver_listener import DriverListener

        return DriverListener(state, files, settings, task_id, hostname, relaunch=relaunch,
                              on_ready=lambda driver: after_login(app, account, driver),
                              make_driver=lambda: build_driver(config),
                              make_context=lambda driver, halt: BotContext(app, state, driver, on_halt=halt),
                              on_session_end=lambda message: notify_session_end(app, message, account))
    return Listener(state, files, settings, task_id, hostname, relaunch=relaunch,
                    install_handlers=lambda bot, done, halt: install_dispatcher(
                        BotContext(app, state, bot, [done], on_halt=halt)),
                    on_ready=lambda bot: after_login(app, account, bot),
                    on_session_end=lambda message: notify_session_end(app, message, account))


def notify_session_end(app: Flask, message: str, account: str | None = None) -> None:
    """Queue the optional webhook call (a task of its own: the fresh QR must not wait for someone's server)."""
    if app.config.get("SESSION_END_WEBHOOK_URL"):
        celery_app(app).send_task("wechat.notify_session_end", args=[message, account or default_slot(app)])


def after_login(app: Flask, account: str | None = None, bot=None) -> None:
    """Tie the slot to the WeChat user now logged in, refresh the database copy of the account, then finish what
    was interrupted."""
    account = account or default_slot(app)
    if bot is not None and account != default_slot(app):
        bind_login(app, account, bot)
    send_to_bot("wechat.sync", ["all"], app, account=account)
    resume_send_jobs(app, account)


def bind_login(app: Flask, account: str, bot) -> None:
    from extensions import db
    from wechat.bot.seam import directory_of, is_driver
    from wechat.workers.slots import bind_slot

    if is_driver(bot):
        me = directory_of(bot).me()
        puid, nick = me.id, me.nick_name or ""
    else:
        puid, nick = bot.self.puid, bot.self.nick_name or ""
    with app.app_context():
        try:
            bind_slot(account, puid, nick)
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("could not bind the account slot %s to its WeChat user", account)


def resume_send_jobs(app: Flask, account: str | None = None) -> int:
    """After a login, send every unfinished job of this account again (a per-job lease keeps a job from running
    twice). Jobs of no account belong to the default one."""
    from wechat.sending.jobs import unfinished_job_ids
    from wechat.workers.slots import slot_of_account

    account = account or default_slot(app)
    with app.app_context():
        ids = [job_id for job_id, account_id in unfinished_job_ids(with_accounts=True)
               if slot_of_account(account_id, app) == account]
        for job_id in ids:
            enqueue_send_job(job_id, app, account=account)
    if ids:
        logger.info("resuming send jobs %s of %s", ids, account)
    return len(ids)


