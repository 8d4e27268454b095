"""WeChat accounts, the account switcher, the all-accounts overview and per-account grants (views/accounts.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from libs.api_spec import Body, Query
from models.admin import ACCOUNT_ROLES, ADMIN_ROLES

AccountId = Annotated[int, Field(ge=1, le=2**63 - 1, description="an account id, as GET /api/accounts lists them")]


class AccountSelector(Query):
    """How a request names its WeChat account (views/account_context.py): the `X-WeChat-Account` header or this
    query parameter. Without either: the account chosen in the dashboard's switcher, else the one logged in now,
    else the most recently seen one."""

    account: AccountId | None = None


class AccountItem(BaseModel):
    id: int
    puid: str
    nick_name: str
    last_login_at: str | None
    role: str = Field(description="your role on it: owner, operator or viewer")
    current: bool = Field(description="the account your requests use when they name none")
    connected: bool = Field(description="the account the bot runs now (its live state, unread counts, commands)")


class AccountList(BaseModel):
    items: list[AccountItem]


class ChooseAccountIn(Body):
    account_id: AccountId


class ChooseAccountAnswer(BaseModel):
    account: AccountItem


class AccountFigures(BaseModel):
    id: int
    nick_name: str
    role: str
    login_state: str = Field(description="the bot's login state for the account it runs; `not_connected` otherwise")
    messages_today: int
    unread: int
    failing_jobs: int = Field(description="send jobs of the last 7 days that failed or have failed recipients")
    listener_healthy: bool | None = Field(description="for the account the bot runs: whether its listener beats; "
                                                      "null for the others")
    slot: str | None = Field(None, description="its own listener slot (views/account_admin.py manages those); "
                                               "null: the default account, or archived")
    archived_slot: str | None = Field(None, description="the slot an archived account had")
    paused: bool = False
    archived: bool = Field(False, description="removed with its archive kept: readable, nothing can be changed")


class AccountsOverview(BaseModel):
    items: list[AccountFigures]
    timezone: str


class AccountGrantOut(BaseModel):
    account_id: int
    role: Literal[ACCOUNT_ROLES]  # type: ignore[valid-type]


class AccountGrantIn(Body):
    account_id: AccountId
    role: Literal[ACCOUNT_ROLES]  # type: ignore[valid-type]


class AdminGrantsIn(Body):
    role: Literal[ADMIN_ROLES] = Field(description="owner: everything; member: only what `grants` allow")  # type: ignore[valid-type]
    grants: Annotated[list[AccountGrantIn], Field(max_length=1000)] = []


class AdminGrants(BaseModel):
    admin_id: int
    role: str
    grants: list[AccountGrantOut]
