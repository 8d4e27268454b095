"""Dashboard administrators and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import lru_cache

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.types import UTCDateTime, utcnow

TOKEN_PREFIX = "wxa_"
TOKEN_SCOPES = ("read", "admin", "metrics")
# What an admin is (libs/roles.py decides what each may do, in one place): an `owner` may do everything, including
# managing admins, grants and accounts; a `member` may do only what a per-account grant (ACCOUNT_ROLES) allows.
ADMIN_ROLES = ("owner", "member")
# Per-account grants, weakest first: a `viewer` reads the account, an `operator` also uses it (send, automation,
# schedules, auto-replies). Neither manages admins.
ACCOUNT_ROLES = ("viewer", "operator")


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
    # One of ADMIN_ROLES. Admins from before roles existed are owners (the migration's server default), so an
    # installation that never names a role behaves exactly as before.
    role: Mapped[str] = mapped_column(String(16), default="owner", server_default="owner")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="admin", cascade="all, delete-orphan")
    grants: Mapped[list[AccountGrant]] = relationship(back_populates="admin", cascade="all, delete-orphan")

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_flag

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id AND the generation, so that
        bumping the generation (revoke_sessions) makes every earlier cookie name a user that no longer loads."""
        return f"{self.id}:{self.session_generation or 0}"

    def revoke_sessions(self) -> None:
        """End every session, remember-me cookie and API token of this admin at once (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    def deactivate(self) -> None:
        self.is_active_flag = False
        self.revoke_sessions()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def change_password(self, password: str) -> None:
        """A new password for an existing admin: it also ends every session and token issued under the old one."""
        self.set_password(password)
        self.revoke_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def check_password_of(admin: AdminUser | None, password: str) -> bool:
    """Check a sign-in: an unknown or deactivated admin costs the same hashing as a wrong password, so timing does
    not tell an attacker which usernames exist."""
    if admin is None:
        check_password_hash(_dummy_hash(), password)
        return False
    matches = admin.check_password(password)
    return matches and admin.is_active


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
    def issue(cls, admin: AdminUser, name: str, scope: str = "admin",
              expires_at: datetime | None = None) -> tuple[ApiToken, str]:
        """Create a token row; the clear token is returned once and never stored."""
        if scope not in TOKEN_SCOPES:
            raise ValueError(f"unknown token scope {scope!r}")
        clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(admin=admin, name=name, token_hash=hash_token(clear), scope=scope, expires_at=expires_at,
                    generation=admin.session_generation or 0)
        return token, clear

    def state(self, now: datetime | None = None) -> str:
        """"active", or why the token no longer works: "revoked", "expired" or "superseded" (the admin's sessions
        were revoked, or the admin deactivated, after it was issued)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        if self.generation != (self.admin.session_generation or 0) or not self.admin.is_active:
            return "superseded"
        return "active"

    @classmethod
    def find_active(cls, clear: str) -> ApiToken | None:
        token = db.session.execute(
            db.select(cls).where(cls.token_hash == hash_token(clear), cls.revoked_at.is_(None))
        ).scalar_one_or_none()
        if token is None or token.state() != "active":
            return None
        return token


class AccountGrant(db.Model):
    """What a `member` admin may do with one WeChat account (owners need no grants)."""

    __tablename__ = "account_grants"
    __table_args__ = (UniqueConstraint("admin_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # one of ACCOUNT_ROLES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), default="")

    admin: Mapped[AdminUser] = relationship(back_populates="grants")
