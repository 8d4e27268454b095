"""Contacts, groups, members and MPs (views/contacts.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from views.schemas.common import Page


class ContactOut(BaseModel):
    id: int
    puid: str | None
    nick_name: str | None
    remark_name: str | None
    name: str | None
    sex: int | None
    province: str | None
    city: str | None
    signature: str | None
    is_friend: bool | None
    is_mp: bool | None
    is_blacklisted: bool | None
    avatar_url: str | None


class GroupOut(BaseModel):
    id: int
    puid: str | None
    nick_name: str | None
    name: str | None
    is_owner: bool | None
    owner_puid: str | None
    member_count: int | None
    avatar_url: str | None
    left_at: str | None = Field(None, description="when the bot was found out of the group (on evidence only)")
    left_reason: str | None = Field(None, description="removed, dissolved or operator")


class GroupAnswer(BaseModel):
    group: GroupOut


class MemberOut(ContactOut):
    display_name: str | None


class ContactPage(Page):
    items: list[ContactOut]
    total_capped: bool


class GroupPage(Page):
    items: list[GroupOut]
    total_capped: bool


class MemberPage(Page):
    items: list[MemberOut]
    total_capped: bool
    group: GroupOut
