"""Group-automation settings and the blacklist (views/automation.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from libs.api_spec import Body
from libs.column_types import ColumnText
from models.wechat import Contact


class AccountRef(BaseModel):
    puid: str
    nick_name: str | None


class SettingsAnswer(BaseModel):
    account: AccountRef | None
    settings: dict[str, Any]
    updated_at: str | None
    updated_by: str | None
    changed: list[str] | None = None


class BlacklistIn(Body):
    puid: ColumnText(Contact.puid, min_length=1, strip=True)
    nick_name: ColumnText(Contact.nick_name, display_name=True) = ""


class BlacklistEntry(BaseModel):
    puid: str
    nick_name: str | None
    remark_name: str | None
    is_friend: bool | None
    updated_at: str | None


class Blacklist(BaseModel):
    items: list[BlacklistEntry]


class BlacklistAnswer(BaseModel):
    item: BlacklistEntry


class BlacklistRemoved(BlacklistAnswer):
    remark_restored: bool
