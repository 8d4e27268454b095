"""Adding, pausing, resuming and removing WeChat accounts (views/account_admin.py, wechat/account_admin.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from drivers.types import DRIVER_NAMES
from libs.api_spec import Body, Query
from libs.netguard import MAX_URL
from wechat.account_admin import ARCHIVE_CHOICES, MAX_KEY
from wechat.workers.slots import SLOT


class AddAccountIn(Body):
    model_config = ConfigDict(strict=True, extra="forbid")

    # The pattern is documented, and checked by wechat/workers/slots.check_slot (whose message says what a slot may be).
    slot: Annotated[str, Field(min_length=1, max_length=40, json_schema_extra={"pattern": f"^{SLOT.pattern}$"},
                               description="names the account's Redis keys, bot queue and session files")]
    driver: Literal[DRIVER_NAMES] | None = Field(  # type: ignore[valid-type]
        None, description="the protocol; none: the installation's WECHAT_DRIVER")
    base_url: Annotated[str, Field(max_length=MAX_URL)] | None = Field(
        None, description="padpro: the gateway's URL (http/https, no credentials; none: PADPRO_BASE_URL)")
    key: Annotated[str, Field(max_length=MAX_KEY)] | None = Field(
        None, description="padpro: the gateway key, a secret: stored, never returned", json_schema_extra={
            "writeOnly": True})


class RemoveAccountQuery(Query):
    archive: Literal[ARCHIVE_CHOICES] = Field(  # type: ignore[valid-type]
        description="keep: stop it, free its slot, keep its data readable (read-only); delete: all of it")
    confirm: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="the account's slot name, typed by the admin; required to delete")


class ManagedAccount(BaseModel):
    id: int
    slot: str | None = Field(description="its slot; null once archived")
    nick_name: str
    driver: str | None = Field(description="null: the installation's WECHAT_DRIVER")
    paused: bool
    archived: bool
    archived_slot: str | None
    archived_at: str | None
    gateway_url: str | None
    has_key: bool = Field(description="whether a gateway key is stored (the key itself is never returned)")


class AccountRemoved(BaseModel):
    id: int
    slot: str
    archive: Literal[ARCHIVE_CHOICES]  # type: ignore[valid-type]
    account: ManagedAccount | None = Field(description="the archived account; null when deleted")
