"""What the operator decides about chats in the Conversations page: which ones are pinned to the top."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow
from models.wechat import PUID


class ChatPin(db.Model):
    """A chat pinned to the top of the chat list (durable: SQL, not Redis). Newest pin first."""

    __tablename__ = "chat_pins"
    __table_args__ = (UniqueConstraint("account_id", "chat_puid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    chat_puid: Mapped[str] = mapped_column(String(PUID))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
