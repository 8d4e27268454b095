"""The message archive: every message the bot sees, stored once per WeChat MsgId."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import LongText, UTCDateTime, utcnow
from models.wechat import NAME, PUID

MESSAGE_TYPES = ("text", "picture", "recording", "video", "attachment", "sharing", "card", "friends",
                 "emoticon", "map", "note", "system", "unknown")
CHAT_KINDS = ("friend", "group", "mp", "self")
MEDIA_SKIPPED = ("too_large", "disk_low", "budget")


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account_id", "msg_id"),
        Index("ix_messages_chat_time", "account_id", "chat_puid", "created_at"),
        Index("ix_messages_sender_time", "account_id", "sender_puid", "created_at"),
        Index("ix_messages_type_time", "account_id", "type", "created_at"),
        Index("ix_messages_time", "account_id", "created_at"),
        # Text search has engine-specific indexes that only migration 0003 creates (SQLite FTS5 table
        # messages_fts, PostgreSQL pg_trgm GIN): see libs/search.py.
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    msg_id: Mapped[str] = mapped_column(String(64))  # WeChat's MsgId, digits as text
    type: Mapped[str] = mapped_column(String(16))  # one of MESSAGE_TYPES (wxpy's names)
    chat_kind: Mapped[str] = mapped_column(String(8))  # one of CHAT_KINDS
    chat_puid: Mapped[str | None] = mapped_column(String(PUID))
    chat_name: Mapped[str] = mapped_column(String(NAME), default="")
    sender_puid: Mapped[str | None] = mapped_column(String(PUID))
    sender_name: Mapped[str] = mapped_column(String(NAME), default="")
    is_outgoing: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(LongText, default="")
    url: Mapped[str | None] = mapped_column(LongText)
    file_name: Mapped[str | None] = mapped_column(String(NAME))
    file_path: Mapped[str | None] = mapped_column(String(512))  # relative to the instance media folder
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    # Why the media was not stored: one of MEDIA_SKIPPED (NULL when stored, or when there is none).
    media_status: Mapped[str | None] = mapped_column(String(16))
    # Set when the sender recalled it (type 10002): the archive keeps the original and says who and when.
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalled_by: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # WeChat's CreateTime
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
