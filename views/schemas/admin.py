"""Audit log, admins, API tokens, password, names (views/pages.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from libs.api_spec import Body, Query
from libs.column_types import ColumnText, Text
from models.admin import TOKEN_SCOPES, ApiToken
from views.schemas.common import Page, PageQuery

MIN_PASSWORD_LENGTH = 10


class AuditQuery(PageQuery):
    q: Annotated[str, Field(max_length=200)] = ""
    action: Annotated[str, Field(max_length=64)] = ""


class AuditEntry(BaseModel):
    id: int
    created_at: str | None
    actor: str | None
    action: str
    target: str | None
    reason: str | None
    detail: Any
    ip: str | None
    account_id: int | None = Field(None, description="the WeChat account it was about; null: the installation")


class AuditPage(Page):
    items: list[AuditEntry]


class AdminOut(BaseModel):
    id: int
    username: str
    is_active: bool
    created_at: str | None
    last_login_at: str | None
    is_me: bool
    role: str = Field(description="`owner` (everything) or `member` (what its account grants allow)")


class Admins(BaseModel):
    items: list[AdminOut]


class AdminAnswer(BaseModel):
    admin: AdminOut


class TokenOut(BaseModel):
    id: int
    name: str
    scope: str
    state: str
    created_at: str | None
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class Tokens(BaseModel):
    items: list[TokenOut]


class TokenAnswer(BaseModel):
    token: TokenOut


class TokenCreated(TokenAnswer):
    clear: str = Field(description="the token itself: shown this once")


class TokenIn(Body):
    name: ColumnText(ApiToken.name, strip=True, min_length=1, display_name=True)
    scope: Literal[TOKEN_SCOPES] = "admin"  # type: ignore[valid-type]
    expires_at: Text(40, description="ISO 8601 time (UTC without an offset), at most ten years ahead") | None = None


class PasswordIn(Body):
    current: Text(256)
    new: Text(256, min_length=MIN_PASSWORD_LENGTH)


class NamesQuery(Query):
    puid: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)] = []


class Name(BaseModel):
    name: str
    kind: Literal["contact", "mp", "group"]


class Names(BaseModel):
    items: dict[str, Name]
