"""Worker signals: start the listener and the placement loop when a worker is ready; end every listener promptly
(without logout) on shutdown."""

from __future__ import annotations

import logging

from celery.signals import worker_ready, worker_shutting_down

from wechat.bot import runtime
from wechat.workers import placer

logger = logging.getLogger(__name__)


@worker_ready.connect
def start_listener(sender=None, **kwargs) -> None:
    # The sender is the worker's Consumer; the listeners use it to consume their bot queues in this process.
    runtime.set_consumer(sender)
    app = sender.app if sender is not None else None
    flask_app = getattr(app, "flask_app", None)
    if flask_app is None:
        return
    runtime.set_default_account(flask_app.config["WECHAT_ACCOUNT"])
    if not flask_app.config.get("WECHAT_AUTOSTART", True):
        return
    from wechat.control import launch_listener

    with flask_app.app_context():
        # The default account at once, as a single-account installation always did; on this worker itself, so that
        # if it dies before starting it, placement knows the launch is void (wechat/workers/placer.py).
        launch_listener(flask_app, worker=sender.hostname)
    # Every account (the default one included) from now on: placement over the live workers (wechat/workers/placer.py).
    placer.start(flask_app, sender.hostname)


@worker_shutting_down.connect
def stop_listener(sig=None, how=None, exitcode=None, **kwargs) -> None:
    # Warm shutdown waits for running tasks, and a listener would run forever: end them ourselves.
    for account, listener in runtime.listeners().items():
        logger.info("worker shutting down (%s): stopping the listener of %s, keeping the WeChat session", sig,
                    account)
        listener.stop("shutdown", shutting_down=True)
    placer.stop()  # after the listeners: it only sets an event (no I/O in this handler, gevent may not block here)
