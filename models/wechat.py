"""The WeChat world as the bot saw it: accounts, contacts (friends, group members, MPs), groups, memberships.

Every row belongs to an account (the logged-in WeChat user) so more accounts can come later. Contacts are keyed
by wxpy's puid, which stays stable across logins while WeChat's UserName changes every session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import LongText, UTCDateTime, utcnow

# Lengths fit MySQL utf8mb4 index limits; WeChat names are far shorter.
NAME = 255
PUID = 64


class Account(db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    puid: Mapped[str] = mapped_column(String(PUID), unique=True)
    nick_name: Mapped[str] = mapped_column(String(NAME), default="")
    avatar_path: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The account's listener slot (wechat/workers/slots.py): its Redis keys `wx:<slot>:*` and bot queue `wechat.<slot>`.
    # NULL: an account seen by the configured default slot (WECHAT_ACCOUNT), as every account was before #18.
    slot: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Its driver (None: WECHAT_DRIVER) and the driver's settings (e.g. the gateway's base_url and key; the key is
    # a secret: never logged, never shown).
    driver: Mapped[str | None] = mapped_column(String(16))
    driver_settings: Mapped[dict | None] = mapped_column(JSON)
    # A paused account is not placed on any worker (its listener is not started).
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Removed by an admin who kept its archive (wechat/account_admin.py): it runs no more, its slot is free (kept
    # here only to name it), its data stays readable and nothing of it can be changed.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_slot: Mapped[str | None] = mapped_column(String(40))


class Contact(db.Model):
    """A person or MP the account knows: a friend, a member of one of its groups, or both."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "puid"),
        # Covers a name search (views/contacts.py): walked in page order (nick_name, id), filtered on the names and
        # flags it holds, never touching the table. Also serves what an (account_id, nick_name) index did.
        Index("ix_contacts_account_names", "account_id", "nick_name", "id", "remark_name", "is_friend", "is_mp"),
        Index("ix_contacts_account_remark", "account_id", "remark_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    puid: Mapped[str] = mapped_column(String(PUID))
    nick_name: Mapped[str] = mapped_column(String(NAME), default="")
    remark_name: Mapped[str] = mapped_column(String(NAME), default="")
    sex: Mapped[int] = mapped_column(Integer, default=0)
    province: Mapped[str] = mapped_column(String(NAME), default="")
    city: Mapped[str] = mapped_column(String(NAME), default="")
    signature: Mapped[str] = mapped_column(LongText, default="")
    is_friend: Mapped[bool] = mapped_column(Boolean, default=False)
    is_mp: Mapped[bool] = mapped_column(Boolean, default=False)
    is_blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    avatar_path: Mapped[str | None] = mapped_column(String(512))
    avatar_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Group(db.Model):
    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("account_id", "puid"),
        Index("ix_groups_account_nick", "account_id", "nick_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    puid: Mapped[str] = mapped_column(String(PUID))
    nick_name: Mapped[str] = mapped_column(String(NAME), default="")
    owner_puid: Mapped[str | None] = mapped_column(String(PUID))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    avatar_path: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set only on evidence that the bot is out (removed, group dissolved, the operator said so): web WeChat's
    # contact list omits every group not saved to contacts, so a group missing from a list proves nothing.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_reason: Mapped[str | None] = mapped_column(String(32))

    memberships: Mapped[list[Membership]] = relationship(back_populates="group", cascade="all, delete-orphan")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(NAME), default="")  # the member's name in this group
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="memberships")
    contact: Mapped[Contact] = relationship()
