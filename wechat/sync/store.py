"""Syncing the bot's friends, groups (with members) and MPs into SQL: set-based, diffed, one commit per kind.

The reference implementation committed row by row and queried once per member; here each kind is one read of
what is stored, an in-memory diff (wechat/sync/diff.py) and bulk INSERT/UPDATE/DELETE statements.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, insert, select, update

from extensions import db
from models.types import utcnow
from models.wechat import Contact, Group, Membership
from wechat.bot.snapshot import CONTACT_FIELDS
from wechat.insights.events import record_sync_changes
from wechat.sync.diff import Diff, diff_rows

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
CHUNK = 500  # rows per statement: keeps parameter lists under every engine's limits


@dataclass
class SyncResult:
    kind: str
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "inserted": self.inserted, "updated": self.updated, "removed": self.removed,
                "seconds": round(self.seconds, 3)}


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _bulk_insert(model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)


def _bulk_update(model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(update(model), chunk)  # UPDATE ... WHERE id = :id, executemany


def _bulk_delete(model, ids: list[int]) -> None:
    for chunk in _chunks(ids):
        db.session.execute(delete(model).where(model.id.in_(chunk)))


def _rows_by(key: str, result) -> dict[Any, dict[str, Any]]:
    """{row[key]: row as a dict} for a result; plain tuples zipped with the column names (Row._asdict per row was
    a visible part of reading 100,000 memberships)."""
    names = tuple(result.keys())
    position = names.index(key)
    return {row[position]: dict(zip(names, row, strict=True)) for row in result.tuples()}


def stored_contacts(account_id: int, *conditions, columns: tuple[str, ...] = CONTACT_FIELDS
                    ) -> dict[str, dict[str, Any]]:
    selected = [Contact.id, Contact.puid, *(getattr(Contact, name) for name in columns),
                Contact.is_friend, Contact.is_mp]
    return _rows_by("puid", db.session.execute(select(*selected).where(Contact.account_id == account_id,
                                                                        *conditions)))


def _people_to_compare(account_id: int, fresh: dict[str, dict[str, Any]], flag: str) -> dict[str, dict[str, Any]]:
    """The stored rows a friend/MP sync can touch: those with the flag, and fresh ones stored without it (e.g. a
    group member who became a friend). Not the whole contacts table: an account has far more group members."""
    stored = stored_contacts(account_id, getattr(Contact, flag).is_(True))
    unknown = [puid for puid in fresh if puid not in stored]
    for chunk in _chunks(unknown):
        stored.update(stored_contacts(account_id, Contact.puid.in_(chunk)))
    return stored


def sync_people(account_id: int, fresh: dict[str, dict[str, Any]], flag: str) -> SyncResult:
    """Friends (flag is_friend) or MPs (flag is_mp): fresh rows get the flag, vanished ones lose it."""
    started = time.monotonic()
    stored = _people_to_compare(account_id, fresh, flag)
    wanted = {puid: {**row, flag: True} for puid, row in fresh.items()}
    diff: Diff = diff_rows(stored, wanted, (*CONTACT_FIELDS, flag))
    now = utcnow()
    _bulk_insert(Contact, [{**wanted[puid], "puid": puid, "account_id": account_id, "updated_at": now}
                           for puid in diff.insert])
    updates = [{"id": stored[puid]["id"], **changes, "updated_at": now} for puid, changes in diff.update]
    gone = [puid for puid in diff.remove if stored[puid][flag]]
    updates += [{"id": stored[puid]["id"], flag: False, "updated_at": now} for puid in gone]
    _bulk_update(Contact, updates)
    db.session.commit()
    return SyncResult("mps" if flag == "is_mp" else "contacts", len(diff.insert), len(diff.update), len(gone),
                      time.monotonic() - started)


def sync_groups(account_id: int, fresh: dict[str, dict[str, Any]], progress: Progress | None = None) -> SyncResult:
    """Groups, the people in them and the memberships, in one transaction.

    Only adds and updates: web WeChat's lists omit every group not saved to contacts (until it sends a message), so
    a stored group missing from `fresh` is kept with its members. A group is marked left only on evidence
    (wechat/sync/group_presence.py).
    """
    started = time.monotonic()
    now = utcnow()
    group_fields = ("nick_name", "is_owner", "owner_puid", "member_count")
    stored_groups = _rows_by("puid", db.session.execute(
        select(Group.id, Group.puid, *(getattr(Group, f) for f in group_fields)).where(Group.account_id == account_id)))
    groups_diff = diff_rows(stored_groups, fresh, group_fields)
    _bulk_insert(Group, [{**{f: fresh[p][f] for f in group_fields}, "puid": p, "account_id": account_id,
                          "updated_at": now} for p in groups_diff.insert])
    _bulk_update(Group, [{"id": stored_groups[p]["id"], **changes, "updated_at": now}
                         for p, changes in groups_diff.update])
    if progress:
        progress("groups", len(fresh), len(fresh))

    # People seen in groups: new ones are inserted; member-only contacts follow their group nick name, while
    # friends keep what the friend sync stored (richer and authoritative).
    contacts = stored_contacts(account_id, columns=("nick_name",))
    member_names: dict[str, str] = {}
    for group in fresh.values():
        for puid, member in group["members"].items():
            member_names.setdefault(puid, member["nick_name"])
    _bulk_insert(Contact, [{"account_id": account_id, "puid": puid, "nick_name": name, "updated_at": now}
                           for puid, name in member_names.items() if puid not in contacts])
    _bulk_update(Contact, [{"id": contacts[puid]["id"], "nick_name": name, "updated_at": now}
                           for puid, name in member_names.items()
                           if puid in contacts and not contacts[puid]["is_friend"] and not contacts[puid]["is_mp"]
                           and contacts[puid]["nick_name"] != name])
    known_groups = set(stored_groups)  # a new group's members did not just join it
    inserted_members = _sync_memberships(account_id, fresh, now, progress, known_groups)
    db.session.commit()
    return SyncResult("groups", len(groups_diff.insert) + inserted_members[0],
                      len(groups_diff.update) + inserted_members[1], inserted_members[2],
                      time.monotonic() - started)


def _sync_memberships(account_id: int, fresh: dict[str, dict[str, Any]], now, progress: Progress | None,
                      known_groups: set[str] | frozenset[str] = frozenset()):
    group_ids = dict(db.session.execute(select(Group.puid, Group.id).where(Group.account_id == account_id)).all())
    contact_ids = dict(db.session.execute(
        select(Contact.puid, Contact.id).where(Contact.account_id == account_id)).all())
    listed = {group_ids[puid] for puid in fresh}  # members of groups this snapshot does not list stay as they are
    stored = {(group_id, contact_id): {"id": row_id, "display_name": display_name}
              for row_id, group_id, contact_id, display_name in db.session.execute(
                  select(Membership.id, Membership.group_id, Membership.contact_id, Membership.display_name)
                  .join(Group, Group.id == Membership.group_id).where(Group.account_id == account_id)).tuples()
              if group_id in listed}
    wanted = {(group_ids[g_puid], contact_ids[m_puid]): {"display_name": member["display_name"]}
              for g_puid, group in fresh.items() for m_puid, member in group["members"].items()}
    diff = diff_rows(stored, wanted, ("display_name",))
    _bulk_insert(Membership, [{"group_id": g, "contact_id": c, "display_name": wanted[(g, c)]["display_name"],
                               "joined_at": now} for g, c in diff.insert])
    _bulk_update(Membership, [{"id": stored[key]["id"], **changes} for key, changes in diff.update])
    _bulk_delete(Membership, [stored[key]["id"] for key in diff.remove])
    record_sync_changes(account_id, fresh, group_ids, contact_ids, diff, known_groups, now)
    if progress:
        progress("members", len(wanted), len(wanted))
    return len(diff.insert), len(diff.update), len(diff.remove)


def remove_orphans(account_id: int) -> int:
    """Contacts that are no longer a friend, an MP or in any group, and not blacklisted, are forgotten."""
    orphan = select(Contact.id).where(
        Contact.account_id == account_id, Contact.is_friend.is_(False), Contact.is_mp.is_(False),
        Contact.is_blacklisted.is_(False), ~exists().where(Membership.contact_id == Contact.id))
    ids = list(db.session.execute(orphan).scalars())
    _bulk_delete(Contact, ids)
    db.session.commit()
    return len(ids)
