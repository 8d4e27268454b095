"""Group insights: membership events (joins and leaves) and the daily message rollups the insights page reads.

- `MembershipEvent`: one join or leave of one person in one group, from a system note ("邀请…加入了群聊",
  "将…移出了群聊") or from a sync that saw the member list change. Both sources report the same join: the second
  one to arrive completes the first (wechat/insights/events.py) instead of adding a row.
- `InsightDay` / `InsightSender`: messages per group per local day (with the 24 hourly counts) and per sender per
  group per local day, written by the beat task (wechat/insights/rollup.py) for the days before `InsightRollup.
  rolled_until`; the days after it are counted live from `messages` (a day or so, indexed by chat and time).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow
from models.wechat import NAME, PUID

EVENT_KINDS = ("join", "leave")
EVENT_SOURCES = ("note", "sync")


class MembershipEvent(db.Model):
    __tablename__ = "membership_events"
    __table_args__ = (Index("ix_membership_events_group_time", "account_id", "group_puid", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    group_puid: Mapped[str] = mapped_column(String(PUID))
    kind: Mapped[str] = mapped_column(String(8))  # one of EVENT_KINDS
    member_puid: Mapped[str | None] = mapped_column(String(PUID))  # unknown for a note until a sync pairs it
    member_name: Mapped[str] = mapped_column(String(NAME), default="")
    source: Mapped[str] = mapped_column(String(8))  # the first source that reported it (EVENT_SOURCES)
    confirmed: Mapped[bool] = mapped_column(default=False)  # both sources reported it
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InsightRollup(db.Model):
    """How far the daily rollups of an account reach, and in which time zone their days were cut."""

    __tablename__ = "insight_rollups"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    rolled_until: Mapped[date] = mapped_column(Date)  # rollup rows exist for every day before this one
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InsightDay(db.Model):
    __tablename__ = "insight_days"
    __table_args__ = (Index("ix_insight_days_account_day", "account_id", "day"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    chat_puid: Mapped[str] = mapped_column(String(PUID), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[str] = mapped_column(String(255), default="")  # 24 comma-separated counts, local hours 0..23


class InsightSender(db.Model):
    __tablename__ = "insight_senders"
    __table_args__ = (
        # Covers the report's one pass over a group's senders: grouped by sender in index order, no table reads.
        Index("ix_insight_senders_sender", "account_id", "chat_puid", "sender_puid", "day", "messages"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    chat_puid: Mapped[str] = mapped_column(String(PUID), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sender_puid: Mapped[str] = mapped_column(String(PUID), primary_key=True)
    sender_name: Mapped[str] = mapped_column(String(NAME), default="")
    messages: Mapped[int] = mapped_column(Integer, default=0)
