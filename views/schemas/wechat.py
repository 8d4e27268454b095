"""WeChat login, status and bot commands (views/wechat.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from libs.api_spec import Body, Query
from libs.column_types import Text
from views.schemas.common import Puid, Puids40

Topic = Text(60, display_name=True)  # WeChat's limit for a group name
VerifyText = Text(200)  # WeChat's limit for a verification note


class ChatsQuery(Query):
    kind: Literal["all", "friends", "groups", "mps"] = "all"


class CreateGroupIn(Body):
    members: Puids40
    topic: Topic = ""


class AddMembersIn(Body):
    members: Puids40
    invite: bool | None = None


class MembersIn(Body):
    members: Puids40


class AcceptIn(Body):
    optional_body = True
    text: VerifyText = ""


class AddFriendIn(Body):
    puid: Puid
    text: VerifyText = ""


class RemarkIn(Body):
    remark: Topic


class WeChatHealth(BaseModel):
    consecutive_errors: int
    last_error: str | None
    last_error_at: float | None
    degraded_since: float | None
    recovered_at: float | None


class LoginState(BaseModel):
    model_config = {"extra": "allow"}  # the listener's login hash: state, nick_name, puid, message, mode…
    state: str = Field(description="what the listener holding the lease says; `no_listener` while none holds it")
    updated_at: float | None = None


class StatusAccount(BaseModel):
    nick_name: str | None
    puid: str | None


class Listener(BaseModel):
    task_id: str | None
    hostname: str | None
    status: str
    healthy: bool
    last_heartbeat: Any
    heartbeat_age: float | None
    uptime: float | None
    starts: Any


class BotQueue(BaseModel):
    """Tasks waiting for the process that holds the bot (nobody takes them before a login; they expire)."""

    waiting: int
    expires_seconds: float


class LoginStarted(BaseModel):
    ok: bool
    task_id: str | None
    replaced: bool


class SessionEnd(BaseModel):
    message: str
    at: float = Field(description="unix time WeChat ended the session")


class DriverInfo(BaseModel):
    """The logged-in driver (docs/DRIVERS.md) and every capability with whether it has it."""

    driver: str
    capabilities: dict[str, bool]


class Status(BaseModel):
    degraded: bool
    wechat: WeChatHealth
    login: LoginState
    account: StatusAccount | None
    listener: Listener
    paused: Any
    bot_queue: BotQueue
    session_end: SessionEnd | None = Field(None, description="shown until the next login")
    driver: DriverInfo | None = Field(None, description="null while not logged in; what is false is refused (409)")


class FriendRequest(BaseModel):
    model_config = {"extra": "allow"}
    id: str
    user_name: str
    nick_name: str
    text: str
    time: float


class FriendRequests(BaseModel):
    items: list[FriendRequest]
