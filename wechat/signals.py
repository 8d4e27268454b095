"""Worker signals: start the listener when a worker is ready; end it promptly (without logout) on shutdown."""

from __future__ import annotations

import logging

from celery.signals import worker_ready, worker_shutting_down

from wechat import runtime

logger = logging.getLogger(__name__)


@worker_ready.connect
def start_listener(sender=None, **kwargs) -> None:
    # The sender is the worker's Consumer; the listener uses it to consume the bot queue in this process.
    runtime.set_consumer(sender)
    app = sender.app if sender is not None else None
    flask_app = getattr(app, "flask_app", None)
    if flask_app is None or not flask_app.config.get("WECHAT_AUTOSTART", True):
        return
    from wechat.control import launch_listener

    with flask_app.app_context():
        launch_listener(flask_app)


@worker_shutting_down.connect
def stop_listener(sig=None, how=None, exitcode=None, **kwargs) -> None:
    # Warm shutdown waits for running tasks, and the listener would run forever: end it ourselves.
    listener = runtime.current_listener()
    if listener is not None:
        logger.info("worker shutting down (%s): stopping the listener, keeping the WeChat session", sig)
        listener.stop("shutdown", shutting_down=True)
