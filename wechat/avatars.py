"""Avatars of friends, groups and MPs, downloaded into the instance folder at most once a day each.

A big account has thousands of contacts: each sync fetches a bounded number, never-fetched ones first, so the
pictures fill in over a few syncs instead of one sync making thousands of requests to WeChat.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from extensions import db
from models.types import utcnow
from models.wechat import Contact, Group

logger = logging.getLogger(__name__)
REFRESH_AFTER = timedelta(days=1)
PER_SYNC = 200


def avatar_root() -> Path:
    return Path(current_app.instance_path) / "avatars"


def _due_contacts(account_id: int, limit: int) -> list[Contact]:
    stale = utcnow() - REFRESH_AFTER
    query = select(Contact).where(
        Contact.account_id == account_id, or_(Contact.is_friend.is_(True), Contact.is_mp.is_(True)),
        or_(Contact.avatar_fetched_at.is_(None), Contact.avatar_fetched_at < stale))
    # "IS NOT NULL" as the first sort key puts never-fetched rows first on every engine.
    order = (Contact.avatar_fetched_at.is_not(None), Contact.avatar_fetched_at, Contact.id)
    return list(db.session.execute(query.order_by(*order).limit(max(limit, 0))).scalars())


def _due_groups(account_id: int, limit: int) -> list[Group]:
    """Groups have no fetch-time column: the picture file's age tells (a failed fetch is retried next sync)."""
    def age(group: Group) -> float:
        path = avatar_root() / group.avatar_path if group.avatar_path else None
        return time.time() - path.stat().st_mtime if path and path.exists() else float("inf")

    due = [g for g in db.session.execute(select(Group).where(Group.account_id == account_id)).scalars()
           if age(g) > REFRESH_AFTER.total_seconds()]
    return sorted(due, key=age, reverse=True)[:max(limit, 0)]


def fetch_avatars(bot, account_id: int, limit: int = PER_SYNC) -> int:
    chats = {chat.puid: chat for chat in [*bot.friends(), *bot.groups(), *bot.mps()] if chat.puid}
    fetched = 0
    for folder in ("groups", "contacts"):
        due = _due_groups(account_id, limit - fetched) if folder == "groups" else _due_contacts(account_id,
                                                                                                limit - fetched)
        for row in due:
            chat = chats.get(row.puid)
            if isinstance(row, Contact):
                row.avatar_fetched_at = utcnow()  # also on failure: retried tomorrow, not on every sync
            if chat is None:
                continue
            relative = Path(str(account_id)) / folder / f"{row.id}.jpg"
            target = avatar_root() / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                chat.get_avatar(str(target))
            except Exception:
                logger.info("avatar of %s not available", row.puid, exc_info=True)
                continue
            if target.exists() and target.stat().st_size:
                row.avatar_path = str(relative)
                fetched += 1
        db.session.commit()
    return fetched
