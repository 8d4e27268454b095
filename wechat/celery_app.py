"""Build Celery from the Flask config (Flask's documented pattern), with an app context for every task."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, has_app_context


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Reuse an active context (a task called from another task) instead of nesting a second one.
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    celery_app.autodiscover_tasks(["wechat"], related_name="tasks", force=True)
    celery_app.flask_app = app  # the worker's signal handlers need the Flask app that built this Celery app
    app.extensions["celery"] = celery_app
    import wechat.bot.signals  # noqa: F401  (connects the worker signal handlers)

    return celery_app
