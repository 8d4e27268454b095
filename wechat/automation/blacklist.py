"""The blacklist: Contact.is_blacklisted per account. Blacklisted people are never invited again.

A contact may be blacklisted before the sync has stored it (a kicked stranger, an id typed in the dashboard):
the row is created then, and the sync fills in the rest later.
"""

from __future__ import annotations

from typing import Any

from extensions import db
from models.wechat import Contact

REMARK_PREFIX = "[黑名单]"


def _contact(account_id: int, puid: str) -> Contact | None:
    return db.session.execute(
        db.select(Contact).where(Contact.account_id == account_id, Contact.puid == puid)
    ).scalar_one_or_none()


def is_blacklisted(account_id: int, puid: str) -> bool:
    contact = _contact(account_id, puid)
    return bool(contact is not None and contact.is_blacklisted)


def set_blacklisted(account_id: int, puid: str, flag: bool, nick_name: str = "") -> Contact | None:
    """Mark or unmark (the caller commits). Unmarking someone unknown does nothing and returns None."""
    contact = _contact(account_id, puid)
    if contact is None:
        if not flag:
            return None
        contact = Contact(account_id=account_id, puid=puid, nick_name=nick_name)
        db.session.add(contact)
    elif nick_name and not contact.nick_name:
        contact.nick_name = nick_name
    contact.is_blacklisted = flag
    return contact


def blacklisted(account_id: int) -> list[Contact]:
    return list(db.session.execute(
        db.select(Contact).where(Contact.account_id == account_id, Contact.is_blacklisted.is_(True))
        .order_by(Contact.nick_name, Contact.puid)
    ).scalars())


def as_dict(contact: Contact) -> dict[str, Any]:
    return {"puid": contact.puid, "nick_name": contact.nick_name, "remark_name": contact.remark_name,
            "is_friend": contact.is_friend,
            "updated_at": contact.updated_at.isoformat() if contact.updated_at else None}


def plain_remark(remark: str) -> str | None:
    """The remark without the blacklist prefix, or None when it carries none (nothing to restore)."""
    return remark[len(REMARK_PREFIX):] if remark.startswith(REMARK_PREFIX) else None


def blacklist_remark(current_remark: str, name: str) -> str:
    """The friend's remark name with the blacklist prefix (once), so the owner sees it on the phone too."""
    base = current_remark or name
    return base if base.startswith(REMARK_PREFIX) else f"{REMARK_PREFIX}{base}"
