"""The baseline for the sync benchmark: the reference implementation's row-by-row approach, over the same snapshot.

The reference implementation walked the bot's chats and, for each one, looked the row up with a query, created it
and committed at once; for each group member it queried the contact and the membership separately, again with a
commit per new row. Removals were found by loading the stored rows and checking them one by one. This is that
approach, written against today's models and fed the same plain-dict snapshot as wechat/sync/store.py, so the only
difference measured is row-by-row versus set-based.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from extensions import db
from models.types import utcnow
from models.wechat import Contact, Group, Membership
from wechat.bot.snapshot import CONTACT_FIELDS

GROUP_FIELDS = ("nick_name", "is_owner", "owner_puid", "member_count")


class OutOfTime(Exception):
    """The time budget ran out; `done` rows were handled."""


class Budget:
    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.done = 0

    def tick(self) -> None:
        self.done += 1
        if self.deadline is not None and self.done % 100 == 0 and time.monotonic() > self.deadline:
            raise OutOfTime()


def _contact(account_id: int, puid: str) -> Contact | None:
    return db.session.execute(
        select(Contact).where(Contact.account_id == account_id, Contact.puid == puid)).scalar_one_or_none()


def _people(account_id: int, fresh: dict[str, dict[str, Any]], flag: str, budget: Budget) -> None:
    for puid, row in fresh.items():
        contact = _contact(account_id, puid)
        if contact is None:
            contact = Contact(account_id=account_id, puid=puid, **{f: row[f] for f in CONTACT_FIELDS})
            setattr(contact, flag, True)
            db.session.add(contact)
            db.session.commit()
        else:
            changed = False
            for name in CONTACT_FIELDS:
                if getattr(contact, name) != row[name]:
                    setattr(contact, name, row[name])
                    changed = True
            if not getattr(contact, flag):
                setattr(contact, flag, True)
                changed = True
            if changed:
                contact.updated_at = utcnow()
                db.session.commit()
        budget.tick()
    for contact in db.session.execute(select(Contact).where(Contact.account_id == account_id,
                                                            getattr(Contact, flag).is_(True))).scalars().all():
        if contact.puid not in fresh:
            setattr(contact, flag, False)
            db.session.commit()


def _groups(account_id: int, fresh: dict[str, dict[str, Any]], budget: Budget) -> None:
    for puid, data in fresh.items():
        group = db.session.execute(select(Group).where(Group.account_id == account_id,
                                                       Group.puid == puid)).scalar_one_or_none()
        if group is None:
            group = Group(account_id=account_id, puid=puid, **{f: data[f] for f in GROUP_FIELDS})
            db.session.add(group)
            db.session.commit()
        elif any(getattr(group, f) != data[f] for f in GROUP_FIELDS):
            for name in GROUP_FIELDS:
                setattr(group, name, data[name])
            db.session.commit()
        for member_puid, member in data["members"].items():
            contact = _contact(account_id, member_puid)  # a query per member
            if contact is None:
                contact = Contact(account_id=account_id, puid=member_puid, nick_name=member["nick_name"])
                db.session.add(contact)
                db.session.commit()
            elif not contact.is_friend and not contact.is_mp and contact.nick_name != member["nick_name"]:
                contact.nick_name = member["nick_name"]
                db.session.commit()
            membership = db.session.execute(select(Membership).where(
                Membership.group_id == group.id, Membership.contact_id == contact.id)).scalar_one_or_none()
            if membership is None:
                db.session.add(Membership(group_id=group.id, contact_id=contact.id,
                                          display_name=member["display_name"]))
                db.session.commit()
            elif membership.display_name != member["display_name"]:
                membership.display_name = member["display_name"]
                db.session.commit()
            budget.tick()
        members = set(data["members"])
        for membership in list(group.memberships):
            if membership.contact.puid not in members:
                db.session.delete(membership)
                db.session.commit()
    for group in db.session.execute(select(Group).where(Group.account_id == account_id)).scalars().all():
        if group.puid not in fresh:
            db.session.delete(group)
            db.session.commit()


def naive_sync(account_id: int, friends: dict, mps: dict, groups: dict, budget_seconds: float | None = None) -> dict:
    """Apply the snapshot row by row. Returns rows handled and seconds, and whether the budget cut it short."""
    budget = Budget(budget_seconds)
    total = len(friends) + len(mps) + sum(len(g["members"]) for g in groups.values())
    started = time.perf_counter()
    finished = True
    try:
        _people(account_id, friends, "is_friend", budget)
        _people(account_id, mps, "is_mp", budget)
        _groups(account_id, groups, budget)
        from wechat.sync.store import remove_orphans

        remove_orphans(account_id)
    except OutOfTime:
        finished = False
        db.session.rollback()
    return {"seconds": round(time.perf_counter() - started, 3), "rows_done": budget.done, "rows_total": total,
            "finished": finished}
