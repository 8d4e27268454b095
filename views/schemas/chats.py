"""The Conversations page's API (views/chats.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from libs.api_spec import Body, Query
from views.schemas.jobs import SendText, UploadIds
from wechat.messages.conversations import MAX_CHATS, MAX_PAGE

Cursor = Annotated[str, Field(max_length=64, description="an item's `cursor` (opaque; 400 for anything else)")]


class ChatsQuery(Query):
    q: Annotated[str, Field(max_length=100, description="a name to search")] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_CHATS)] = 50


class HistoryQuery(Query):
    before: Cursor | None = Field(None, description="the messages just older than this cursor")
    after: Cursor | None = Field(None, description="the messages just newer than this cursor")
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50


class ReplyIn(Body):
    text: SendText = Field("", description="@mentions are written as `@name` followed by U+2005")
    files: UploadIds = []


class ChatMessage(BaseModel):
    """One archived message as the conversation pane renders it; also the data of the SSE `message` event."""

    id: int
    msg_id: str | None
    type: str
    chat_kind: str
    chat_puid: str | None
    chat_name: str
    sender_puid: str | None
    sender_avatar_url: str | None = Field(None, description="history pages only; live events leave it out")
    sender_name: str
    is_outgoing: bool
    text: str
    url: str | None
    file_name: str | None
    file_size: int | None
    media_url: str | None
    media_status: str | None
    recalled: bool
    recalled_at: str | None = None
    recalled_by: str | None = None
    created_at: str
    cursor: str = Field(description="opaque; pass as `before` or `after`")
    truncated: bool
    account_id: int | None = Field(None, description="the WeChat account it belongs to (SSE clients filter on it)")


class Chat(BaseModel):
    puid: str
    name: str | None
    kind: str | None
    avatar_url: str | None
    group_id: int | None
    member_count: int | None
    pinned: bool
    unread: int
    last_message: ChatMessage | None


class ChatList(BaseModel):
    items: list[Chat]
    unread: int


class History(BaseModel):
    items: list[ChatMessage]
    has_more: bool = Field(description="more in the direction asked (older without `after`)")


class ReadAnswer(BaseModel):
    chat: str
    cleared: int
    unread: int


class PinAnswer(BaseModel):
    chat: str
    pinned: bool

