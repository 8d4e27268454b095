"""The Flask application factory.

`create_app()` builds the web app (and the Celery app bound to it). gunicorn serves `app:app`; that module-level
`app` is created on first access (PEP 562) so that importing the factory, as tests and the worker do, builds
nothing and touches no instance folder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from config import build_config, celery_settings, engine_options
from extensions import db, migrate
from libs.instance_files import private_dir


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app. `instance_path` (or INSTANCE_PATH) moves the instance folder: DB, media, secrets, session."""
    instance_path = instance_path or os.environ.get("INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    private_dir(Path(app.instance_path))  # DB, media, secrets, WeChat session: no other local user reads them
    app.config.from_mapping(build_config(Path(app.instance_path)))
    app.config.from_pyfile("settings.py", silent=True)  # optional local override file
    if config:
        app.config.from_mapping(config)
    # Derived last, so a REDIS_URL from any layer reaches Celery; explicit CELERY keys still win.
    derived = celery_settings(app.config["REDIS_URL"], app.config["WECHAT_ACCOUNT"],
                              app.config["SYNC_INTERVAL_MINUTES"], app.config["WATCHDOG_INTERVAL"])
    app.config["CELERY"] = {**derived, **app.config.get("CELERY", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    import models  # noqa: F401  (every model must be known before migrations compare the schema)
    from libs import green_postgres, sqlite_tuning
    from libs.api import init_api
    from libs.auth import init_auth
    from libs.i18n import init_i18n
    from libs.page_data import init_page_data
    from libs.redis_client import init_redis
    from libs.security_headers import init_security_headers
    from views.account_context import init_account_context
    from wechat.celery_app import celery_init_app
    from wechat.form_bounds import form_bounds

    sqlite_tuning.install()
    green_postgres.install()  # a no-op unless gevent has patched this process (libs/green_postgres.py)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    init_redis(app)
    init_auth(app)
    init_account_context(app)  # after auth: the account and the admin's role on it (views/account_context.py)
    init_api(app)  # after auth: an anonymous request is a 401 whatever its values
    init_security_headers(app)
    init_i18n(app)
    init_page_data(app, form_bounds)
    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from views import register_blueprints as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from views.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from commands import register_commands as register

    register(app)


def __getattr__(name: str) -> Flask:
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
