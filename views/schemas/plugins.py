"""Plugins and auto-reply rules (views/plugins.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from libs.api_spec import Body


class PluginUpdate(Body):
    model_config = ConfigDict(strict=True, extra="forbid")
    enabled: bool | None = None
    settings: dict[str, Any] = {}  # checked against the plugin's declared settings (wechat/plugins/settings.py)
    clear_error: bool = False


class SecretState(BaseModel):
    set: bool
    source: str | None
    env: str


class PluginOut(BaseModel):
    name: str
    description: str | None
    source: str | None
    enabled: bool
    enabled_by_default: bool
    patterns: list[str] | None
    exclude_patterns: list[str]
    exclusive: bool
    msg_types: list[str] | None
    run_async: bool
    except_self: bool
    time_limit: float
    settings: dict[str, Any]
    limits: dict[str, list[float]] = Field(description="numeric setting → [lowest, highest]")
    secrets: dict[str, SecretState]
    last_error: str | None
    last_error_at: str | None
    error_count: int
    updated_at: str | None
    updated_by: str | None


class Plugins(BaseModel):
    items: list[PluginOut]
    load_errors: Any


class PluginAnswer(BaseModel):
    item: PluginOut


class RuleOut(BaseModel):
    id: int
    position: int
    mode: str
    pattern: str
    reply: str
    scope: str
    group_puids: list[str]
    require_at: bool
    enabled: bool
    updated_by: str | None
    created_at: str | None
    updated_at: str | None


class Rules(BaseModel):
    items: list[RuleOut]


class RuleAnswer(BaseModel):
    item: RuleOut
