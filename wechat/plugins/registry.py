"""The plugins of this process (loaded once per app) and their switches, settings and errors (SQL).

Both the web process (GET /api/plugins) and the bot's worker load the plugins; the database row is what they
share, so a switch flipped in the dashboard applies to the next message.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from extensions import db
from models.plugin import PluginConfig
from models.types import utcnow
from wechat.plugins import settings as plugin_settings
from wechat.plugins.config_cache import VersionedCache
from wechat.plugins.loader import LoadResult, load_plugins, plugin_paths
from wechat.plugins.spec import PluginSpec

logger = logging.getLogger(__name__)

MAX_ERROR = 2000


def loaded(app: Flask) -> LoadResult:
    result = app.extensions.get("wechat_plugins")
    if result is None:
        result = load_plugins(plugin_paths(app.config.get("PLUGIN_PATHS", "")))
        app.extensions["wechat_plugins"] = result
        logger.info("plugins loaded: %s; not loaded: %d", ", ".join(result.plugins) or "none", len(result.errors))
    return result


def configs() -> dict[str, PluginConfig]:
    return {row.name: row for row in db.session.execute(db.select(PluginConfig)).scalars()}


def is_enabled(spec: PluginSpec, row: PluginConfig | None) -> bool:
    return spec.enabled_by_default if row is None or row.enabled is None else row.enabled


def enabled_plugins(app: Flask) -> list[tuple[PluginSpec, dict[str, Any]]]:
    """(spec, effective settings) of every enabled plugin, in load order; read from SQL only after a plugin's row
    changed (wechat/plugins/config_cache.py), not for every message."""
    return _enabled.get(app)


def _load_enabled(app: Flask) -> list[tuple[PluginSpec, dict[str, Any]]]:
    rows = configs()
    chosen = []
    for spec in loaded(app).plugins.values():
        row = rows.get(spec.name)
        if is_enabled(spec, row):
            chosen.append((spec, plugin_settings.effective(spec, row.settings if row is not None else None)))
    return chosen


_enabled = VersionedCache(_load_enabled)


def config_row(name: str) -> PluginConfig:
    """The row of a plugin, created (not committed) when it has none yet."""
    row = db.session.execute(db.select(PluginConfig).where(PluginConfig.name == name)).scalar_one_or_none()
    if row is None:
        row = PluginConfig(name=name, settings={}, error_count=0)
        db.session.add(row)
    return row


def record_error(name: str, message: str) -> None:
    """Keep a plugin's last failure for the dashboard (commits; a failure to record is only logged)."""
    try:
        row = config_row(name)
        row.last_error = message[:MAX_ERROR]
        row.last_error_at = utcnow()
        row.error_count = (row.error_count or 0) + 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("could not record the error of plugin %s", name)
