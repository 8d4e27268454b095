"""Dashboard administrators and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.types import UTCDateTime, utcnow

TOKEN_PREFIX = "wxa_"
TOKEN_SCOPES = ("read", "admin", "metrics")


class AdminUser(UserMixin, db.Model):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to end every session and token at once (password change, deactivation, "sign out everywhere").
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="admin", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_flag

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a fast unsalted hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")  # one of TOKEN_SCOPES
    generation: Mapped[int] = mapped_column(default=0, server_default="0")  # the admin's session_generation
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    admin: Mapped[AdminUser] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, admin: AdminUser, name: str) -> tuple[ApiToken, str]:
        """Create a token row; the clear token is returned once and never stored."""
        clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls(admin=admin, name=name, token_hash=hash_token(clear)), clear

    @classmethod
    def find_active(cls, clear: str) -> ApiToken | None:
        token = db.session.execute(
            db.select(cls).where(cls.token_hash == hash_token(clear), cls.revoked_at.is_(None))
        ).scalar_one_or_none()
        if token is None or not token.admin.is_active:
            return None
        return token
