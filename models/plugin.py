"""Plugins: each plugin's switch, settings and last failure; the auto-reply rules of the `autoreply` plugin.

Plugin rows are per installation (a plugin is code installed on this machine), keyed by the plugin's name; a plugin
without a row has its default switch and no stored settings. Auto-reply rules name chats by puid, so they belong to
an account like every other row that does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import LongText, UTCDateTime, utcnow

AUTOREPLY_MODES = ("exact", "contains", "regex")
AUTOREPLY_SCOPES = ("friends", "groups", "all", "chosen")


class PluginConfig(db.Model):
    __tablename__ = "plugin_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    enabled: Mapped[bool | None] = mapped_column(Boolean)  # None: the plugin's own default
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))
    # The last failure (an exception, a time-out, an endpoint error the plugin reported), for the dashboard.
    last_error: Mapped[str | None] = mapped_column(LongText)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class AutoReplyRule(db.Model):
    __tablename__ = "autoreply_rules"
    __table_args__ = (Index("ix_autoreply_rules_account_position", "account_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)  # lower first; the first matching rule answers
    mode: Mapped[str] = mapped_column(String(16))  # AUTOREPLY_MODES
    pattern: Mapped[str] = mapped_column(String(500))
    reply: Mapped[str] = mapped_column(LongText)
    scope: Mapped[str] = mapped_column(String(16), default="friends")  # AUTOREPLY_SCOPES
    group_puids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # for scope "chosen"
    require_at: Mapped[bool] = mapped_column(Boolean, default=True)  # in groups: only when the bot is @-mentioned
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))
