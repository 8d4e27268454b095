"""The plugins of this process and their switches, settings and errors (SQL).

Both the web process (GET /api/plugins) and the bot's worker load the plugins; the database row is what they
share, so a switch flipped in the dashboard applies to the next message.

Reloading (POST /api/plugins/reload) loads the plugins again in the process that was asked and bumps a generation
counter in Redis; every other process (the worker before its next batch of messages, other web workers on their
next plugin request) sees the new generation and loads again too. A reload re-imports the plugins from
PLUGIN_PATHS folders, so new and edited files there take effect without a restart; built-in and pip-installed
plugins keep the code imported at start.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import redis
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
GENERATION_KEY = "wechat-admin:plugins:generation"


def loaded(app: Flask) -> LoadResult:
    result = app.extensions.get("wechat_plugins")
    if result is None:
        result = _load(app, _generation(app.extensions.get("redis")))
    return result


def _generation(client: redis.Redis | None) -> int | None:
    if client is None:
        return None
    try:
        return int(client.get(GENERATION_KEY) or 0)
    except (redis.RedisError, ValueError):
        return None


def _forget_folder_modules(folders: list[Path]) -> None:
    """Drop the modules imported from plugin folders, so the next import reads the files again."""
    roots = [folder.resolve() for folder in folders]
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and any(root in Path(origin).resolve().parents for root in roots):
            del sys.modules[name]
    importlib.invalidate_caches()


def _load(app: Flask, generation: int | None, again: bool = False) -> LoadResult:
    folders = plugin_paths(app.config.get("PLUGIN_PATHS", ""))
    if again:
        _forget_folder_modules(folders)
    result = load_plugins(folders)
    app.extensions["wechat_plugins"] = result
    app.extensions["wechat_plugins_generation"] = generation
    _enabled.clear()  # it holds the specs of the previous load
    logger.info("plugins %s: %s; not loaded: %d", "reloaded" if again else "loaded",
                ", ".join(result.plugins) or "none", len(result.errors))
    return result


def reload_plugins(app: Flask, client: redis.Redis) -> LoadResult:
    """Load the plugins again here, and have every other process do the same (see the module docstring)."""
    return _load(app, int(client.incr(GENERATION_KEY)), again=True)


def follow_reloads(app: Flask, client: redis.Redis) -> None:
    """Load again when another process reloaded since this one last loaded (one Redis GET; Redis down: no-op)."""
    generation = _generation(client)
    if generation is None or "wechat_plugins" not in app.extensions:
        return
    if generation != app.extensions.get("wechat_plugins_generation"):
        _load(app, generation, again=True)


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
