"""The Celery side of wechat-admin: `celery -A wechat worker` finds `wechat.celery`.

The Celery app is built from the same Flask config as the web app (one factory, two entry points); it is created
on first access so importing this package's modules (tasks, listener) builds nothing.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name == "celery":
        from app import create_app

        global celery
        flask_app = create_app()
        celery = flask_app.extensions["celery"]
        return celery
    raise AttributeError(name)
