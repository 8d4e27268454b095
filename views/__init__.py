"""Blueprints, registered by app.create_app (and by views/openapi.py for the document outside an app)."""

from __future__ import annotations

import importlib

from flask import Flask

BLUEPRINT_MODULES = (
    "account_admin",
    "accounts",
    "api",
    "auth",
    "automation",
    "chats",
    "contacts",
    "dashboard",
    "health",
    "insights",
    "jobs",
    "messages",
    "metrics",
    "openapi",
    "pages",
    "plugins",
    "schedules",
    "stream",
    "uploads",
    "wechat",
)


def register_blueprints(app: Flask) -> None:
    """Every module in BLUEPRINT_MODULES has a `bp`; a new page or API module adds one line there."""
    from werkzeug.routing import IntegerConverter

    class RowIdConverter(IntegerConverter):
        """`<int:…>` ids beyond a 64-bit integer match no route (404) instead of overflowing the database
        driver (SQLite raised OverflowError: a 500 for /api/jobs/99999999999999999999)."""

        def __init__(self, map, *args, **kwargs) -> None:
            kwargs.setdefault("max", 2**63 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = RowIdConverter
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"views.{name}").bp)
