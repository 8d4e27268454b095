"""The message archive, notifications, sync requests and the overview (views/messages.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from libs.api_spec import Body
from models.message import MESSAGE_TYPES
from views.schemas.common import Page, PageQuery
from wechat.sync.runner import SYNC_KINDS

MessageType = Literal[MESSAGE_TYPES]  # type: ignore[valid-type]
ChatId = Annotated[str, Field(max_length=64)]


class MessageQuery(PageQuery):
    """?type=&chat=&sender=&since=&until=&q=; a bare date or time in since/until means the configured zone."""

    type: MessageType | Literal[""] = ""
    chat: ChatId = ""
    sender: ChatId = ""
    q: Annotated[str, Field(max_length=200)] = ""
    since: Annotated[str, Field(max_length=64, description="ISO 8601 date or date-time")] = ""
    until: Annotated[str, Field(max_length=64, description="ISO 8601 date or date-time")] = ""


class ChatQuery(PageQuery):
    chat: ChatId = ""


class MessageOut(BaseModel):
    id: int
    msg_id: str
    type: str
    chat_kind: str | None
    chat_puid: str | None
    chat_name: str | None
    sender_puid: str | None
    sender_name: str | None
    is_outgoing: bool | None
    text: str | None
    url: str | None
    file_name: str | None
    file_size: int | None
    media_url: str | None
    media_status: str | None
    recalled_at: str | None = None
    recalled_by: str | None = None
    created_at: str


class MessagePage(Page):
    items: list[MessageOut]
    total_capped: bool


class Deleted(BaseModel):
    deleted: int


class Unread(BaseModel):
    unread: int


class SyncIn(Body):
    what: Literal[SYNC_KINDS]  # type: ignore[valid-type]


class Counts(BaseModel):
    friends: int
    groups: int
    members: int
    mps: int
    messages_today: int


class DayCount(BaseModel):
    date: str
    count: int


class ActiveGroup(BaseModel):
    puid: str
    name: str | None
    count: int


class Overview(BaseModel):
    counts: Counts
    messages_per_day: list[DayCount]
    active_groups: list[ActiveGroup]
    unread: int
