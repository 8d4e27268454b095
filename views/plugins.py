"""Plugins and auto-reply rules over the JSON API (docs/PLUGINS.md).

Switches and settings apply to the next message (the bot caches them until they change). Secrets are never shown
back in full (see wechat/plugins/settings.py). POST /api/plugins/reload loads plugin folders again everywhere.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json
from libs.redis_client import get_redis
from libs.validation import ValueInvalid
from models.audit import record
from models.plugin import AutoReplyRule, PluginConfig
from models.wechat import Account
from views.account_context import current_account, require_account
from views.schemas.plugins import PluginAnswer, Plugins, PluginUpdate, RuleAnswer, Rules
from wechat import autoreply
from wechat.plugins import registry
from wechat.plugins import settings as plugin_settings
from wechat.plugins.spec import PluginSpec

bp = Blueprint("plugins", __name__, url_prefix="/api")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def plugin_as_dict(spec: PluginSpec, row: PluginConfig | None) -> dict:
    stored = row.settings if row is not None else None
    return {
        "name": spec.name, "description": spec.description, "source": spec.source,
        "enabled": registry.is_enabled(spec, row), "enabled_by_default": spec.enabled_by_default,
        "patterns": [p.pattern for p in spec.patterns] if spec.patterns else None,
        "exclude_patterns": [p.pattern for p in spec.exclude_patterns], "exclusive": spec.exclusive,
        "msg_types": sorted(spec.msg_types) if spec.msg_types else None, "run_async": spec.run_async,
        "except_self": spec.except_self,
        "time_limit": min(current_app.config["PLUGIN_TIME_LIMIT"], spec.time_limit or float("inf")),
        "settings": plugin_settings.public(spec, stored),
        "limits": {key: list(limits) for key, limits in spec.limits.items()},  # numeric setting -> [lowest, highest]
        "secrets": {key: {"set": bool(plugin_settings.secret_source(spec, stored or {}, key)),
                          "source": plugin_settings.secret_source(spec, stored or {}, key),
                          "env": plugin_settings.env_name(spec.name, key)} for key in sorted(spec.secrets)},
        "last_error": row.last_error if row is not None else None,
        "last_error_at": _iso(row.last_error_at) if row is not None else None,
        "error_count": row.error_count if row is not None else 0,
        "updated_at": _iso(row.updated_at) if row is not None else None,
        "updated_by": row.updated_by if row is not None else None,
    }


def _plugins_body(loaded) -> dict:
    rows = registry.configs()
    return {"items": [plugin_as_dict(spec, rows.get(name)) for name, spec in loaded.plugins.items()],
            "load_errors": loaded.errors}


def _current_plugins():
    """This process's plugins, loaded again first if another process reloaded them."""
    registry.follow_reloads(current_app, get_redis())
    return registry.loaded(current_app)


@bp.get("/plugins")
@api.validate(resp=Response(HTTP_200=Plugins))
def list_plugins():
    """The plugins, their switches, settings (secrets masked) and errors."""
    return jsonify(_plugins_body(_current_plugins()))


@bp.post("/plugins/reload")
@api.validate(resp=Response(HTTP_200=Plugins))
def reload_plugins():
    """Import the plugins of PLUGIN_PATHS again (new and edited files) here, in the bot and in every web process."""
    before = set(registry.loaded(current_app).plugins)
    loaded = registry.reload_plugins(current_app, get_redis())
    after = set(loaded.plugins)
    record(current_user.username, "plugin.reload", reason="admin", ip=request.remote_addr,
           detail={"added": sorted(after - before), "removed": sorted(before - after),
                   "load_errors": len(loaded.errors)})
    db.session.commit()
    return jsonify(_plugins_body(loaded))


@bp.put("/plugins/<name>")
@api.validate(json=PluginUpdate, resp=Response(HTTP_200=PluginAnswer, HTTP_404=ErrorBody))
def update_plugin(name: str):
    """Switch a plugin on or off, change its settings, clear its last error."""
    spec = _current_plugins().plugins.get(name)
    if spec is None:
        raise ApiError(404, f"no plugin named {name!r}")
    body: PluginUpdate = context_json()
    enabled = body.enabled
    row = registry.config_row(name)
    try:
        changes = plugin_settings.validate(spec, body.settings, row.settings)
    except ValueInvalid:
        db.session.rollback()  # the row config_row may have added
        raise
    if enabled is not None:
        row.enabled = enabled
    if changes:
        row.settings = {**(row.settings or {}), **changes}  # a new dict, so SQLAlchemy sees the JSON change
    if body.clear_error:
        row.last_error, row.last_error_at, row.error_count = None, None, 0
    row.updated_by = current_user.username
    shown = {key: ("(secret)" if key in spec.secrets else value) for key, value in changes.items()}
    record(current_user.username, "plugin.update", target=name, reason="admin",
           detail={"enabled": enabled, "settings": shown}, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": plugin_as_dict(spec, row)})


# -- auto-reply rules ----------------------------------------------------------------------------------------------
def _rule_or_404(account: Account, rule_id: int) -> AutoReplyRule:
    row = db.session.get(AutoReplyRule, rule_id)
    if row is None or row.account_id != account.id:
        raise ApiError(404, f"no auto-reply rule {rule_id}")
    return row


def _validated(current: dict | None = None) -> dict:
    """The route's validated body, checked again with the rule it changes (a regex's cost, scope "chosen")."""
    data = context_json().model_dump(exclude_unset=True)
    return autoreply.validate(data, current, budget=current_app.config["AUTOREPLY_REGEX_TIMEOUT"])


@bp.get("/autoreplies")
@api.validate(resp=Response(HTTP_200=Rules))
def list_autoreplies():
    """The auto-reply rules, in the order they are tried."""
    account = current_account()
    db.session.commit()
    items = autoreply.rows(account.id) if account is not None else []
    return jsonify({"items": [autoreply.as_dict(row) for row in items]})


@bp.post("/autoreplies")
@api.validate(json=autoreply.NewRule, resp=Response(HTTP_201=RuleAnswer, HTTP_409=ErrorBody))
def create_autoreply():
    """Add an auto-reply rule."""
    values = _validated()
    account = require_account()
    columns = {"scope": "friends", "group_puids": [], "require_at": True, "enabled": True, "position": 0, **values}
    row = AutoReplyRule(account_id=account.id, updated_by=current_user.username, **columns)
    db.session.add(row)
    db.session.flush()
    record(current_user.username, "autoreply.create", target=f"rule {row.id}", reason="admin",
           detail=autoreply.as_dict(row), ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": autoreply.as_dict(row)}), 201


@bp.put("/autoreplies/<int:rule_id>")
@api.validate(json=autoreply.RuleChanges, resp=Response(HTTP_200=RuleAnswer, HTTP_404=ErrorBody))
def update_autoreply(rule_id: int):
    """Change an auto-reply rule."""
    account = require_account()
    row = _rule_or_404(account, rule_id)
    values = _validated(autoreply.as_dict(row))
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by = current_user.username
    record(current_user.username, "autoreply.update", target=f"rule {row.id}", reason="admin", detail=values,
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": autoreply.as_dict(row)})


@bp.delete("/autoreplies/<int:rule_id>")
@api.validate(resp=Response(HTTP_200=RuleAnswer, HTTP_404=ErrorBody))
def delete_autoreply(rule_id: int):
    """Delete an auto-reply rule."""
    account = require_account()
    row = _rule_or_404(account, rule_id)
    item = autoreply.as_dict(row)
    db.session.delete(row)
    record(current_user.username, "autoreply.delete", target=f"rule {rule_id}", reason="admin", detail=item,
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": item})
