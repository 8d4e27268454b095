"""Models shared by several areas: pages, ids, simple answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from libs.api import MAX_PER_PAGE
from libs.api_spec import Query
from libs.column_types import ColumnText
from models.wechat import Contact

Puid = ColumnText(Contact.puid, min_length=1, strip=True, description="a contact's or group's puid")
Puids40 = Annotated[list[Puid], Field(min_length=1, max_length=40)]


class PageQuery(Query):
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class SearchPageQuery(PageQuery):
    q: Annotated[str, Field(max_length=100)] = ""


class Page(BaseModel):
    page: int
    per_page: int
    total: int


class Ok(BaseModel):
    ok: bool


class OkTask(Ok):
    task_id: str | None


class CommandResult(BaseModel):
    """What a bot command answered (wechat/bot/command_runner.py): `ok` and the command's own fields."""

    model_config = {"extra": "allow"}
    ok: bool


class AnyObject(BaseModel):
    model_config = {"extra": "allow"}


JsonValue = Any
