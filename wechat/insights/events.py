"""Recording joins and leaves, once each, from the two sources that see them.

A join is announced by a system note ("…邀请"Y"加入了群聊", with the time WeChat wrote it but only a name) and
noticed by the next sync (with the member's puid but only the time of the sync). Whichever arrives second
completes the first — the puid from the sync, the time from the note — and marks it `confirmed`, so a join is
counted once whichever order they come in. Notes are matched to sync events by name within PAIRING_WINDOW.
A note delivered twice (a re-delivered batch) finds its own earlier row and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from extensions import db
from models.insights import MembershipEvent
from models.wechat import Contact

PAIRING_WINDOW = timedelta(days=2)  # a sync runs every SYNC_MINUTES; a note older than this is another join


@dataclass(frozen=True)
class Change:
    """A join or leave as one source reports it."""

    group_puid: str
    kind: str  # "join" | "leave"
    source: str  # "note" | "sync"
    occurred_at: datetime
    member_name: str = ""
    member_puid: str | None = None
    names: frozenset[str] = frozenset()  # every name the member is known by (sync: nick and display name)

    def known_as(self) -> frozenset[str]:
        return self.names | ({self.member_name} if self.member_name else frozenset())


@dataclass
class Candidate:
    """A stored, unconfirmed event of the other source that a new change may complete."""

    row_id: int  # where the caller finds the row (record_changes: its index among the nearby events)
    occurred_at: datetime
    member_puid: str | None
    names: frozenset[str]


def is_repeat(change: Change, stored: Iterable[tuple[str, str, datetime, str | None]]) -> bool:
    """The same report again: same source, kind, name (or puid) and time (stored: (source, kind, time, name/puid))."""
    key = change.member_puid or change.member_name
    return any(source == change.source and kind == change.kind and at == change.occurred_at and who == key
               for source, kind, at, who in stored)


def partner(change: Change, candidates: Sequence[Candidate], window: timedelta = PAIRING_WINDOW
            ) -> Candidate | None:
    """The other source's report of the same event: same person (puid when both know it, else a shared name),
    within the window; the closest in time wins."""
    best: Candidate | None = None
    for candidate in candidates:
        if abs(candidate.occurred_at - change.occurred_at) > window:
            continue
        if change.member_puid and candidate.member_puid:
            same = change.member_puid == candidate.member_puid
        else:
            same = bool(change.known_as() & candidate.names)
        if same and (best is None or abs(candidate.occurred_at - change.occurred_at)
                     < abs(best.occurred_at - change.occurred_at)):
            best = candidate
    return best


class _Nearby:
    """The stored events the changes of one call may repeat or complete, read in one query per kind and chunk of
    groups (a sync reporting a thousand leaves asked once per leave before: 3 s of a re-sync). Rows this call
    adds or confirms are kept here too, as the per-change queries saw them through autoflush."""

    CHUNK = 500  # groups per IN list

    def __init__(self, account_id: int, changes: Sequence[Change]) -> None:
        self.account_id = account_id
        self.rows: dict[tuple[str, str], list[MembershipEvent]] = {}
        self.nick_names: dict[str, str] = {}
        by_kind: dict[str, set[str]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, set()).add(change.group_puid)
        earliest = min(change.occurred_at for change in changes) - PAIRING_WINDOW
        latest = max(change.occurred_at for change in changes) + PAIRING_WINDOW
        with db.session.no_autoflush:
            for kind, groups in by_kind.items():
                ordered = sorted(groups)
                for start in range(0, len(ordered), self.CHUNK):
                    for row in db.session.execute(select(MembershipEvent).where(
                            MembershipEvent.account_id == account_id, MembershipEvent.kind == kind,
                            MembershipEvent.group_puid.in_(ordered[start:start + self.CHUNK]),
                            MembershipEvent.occurred_at >= earliest,
                            MembershipEvent.occurred_at <= latest)).scalars():
                        self.rows.setdefault((row.group_puid, kind), []).append(row)
        self._learn_names([row.member_puid for rows in self.rows.values() for row in rows if row.member_puid])

    def _learn_names(self, puids: Iterable[str]) -> None:
        missing = sorted({puid for puid in puids if puid not in self.nick_names})
        for start in range(0, len(missing), self.CHUNK):
            chunk = missing[start:start + self.CHUNK]
            self.nick_names.update(dict.fromkeys(chunk, ""))
            with db.session.no_autoflush:
                self.nick_names.update(db.session.execute(select(Contact.puid, Contact.nick_name).where(
                    Contact.account_id == self.account_id, Contact.puid.in_(chunk))).all())

    def around(self, change: Change) -> list[MembershipEvent]:
        return [row for row in self.rows.get((change.group_puid, change.kind), ())
                if abs(row.occurred_at - change.occurred_at) <= PAIRING_WINDOW]

    def candidates(self, change: Change, nearby: list[MembershipEvent]) -> list[Candidate]:
        """The other source's unconfirmed events near the change; a Candidate's row_id is its index in `nearby`
        (a row this call added has no id before the flush)."""
        others = [(index, row) for index, row in enumerate(nearby)
                  if row.source != change.source and not row.confirmed]
        self._learn_names(row.member_puid for _, row in others if row.member_puid)
        return [Candidate(index, row.occurred_at, row.member_puid,
                          frozenset(n for n in (row.member_name, self.nick_names.get(row.member_puid or "")) if n))
                for index, row in others]

    def add(self, row: MembershipEvent) -> None:
        self.rows.setdefault((row.group_puid, row.kind), []).append(row)


def record_changes(account_id: int, changes: Iterable[Change]) -> int:
    """Store the changes (in the caller's transaction); returns how many new events there are."""
    changes = list(changes)
    if not changes:
        return 0
    stored = _Nearby(account_id, changes)
    added = 0
    for change in changes:
        nearby = stored.around(change)
        # A row is known by its puid and by its name: a note paired with a sync holds both, and the same note
        # delivered again (a name only) is still a repeat.
        if is_repeat(change, [(r.source, r.kind, r.occurred_at, who) for r in nearby
                              for who in {r.member_puid, r.member_name} if who]):
            continue
        found = partner(change, stored.candidates(change, nearby))
        if found is not None:
            row = nearby[found.row_id]
            row.confirmed = True
            row.member_puid = row.member_puid or change.member_puid
            row.member_name = row.member_name or change.member_name
            if change.source == "note":  # the note says when it happened; a sync only when it was noticed
                row.occurred_at = change.occurred_at
            continue
        row = MembershipEvent(account_id=account_id, group_puid=change.group_puid, kind=change.kind,
                              member_puid=change.member_puid, member_name=change.member_name[:255],
                              source=change.source, confirmed=False, occurred_at=change.occurred_at)
        db.session.add(row)
        stored.add(row)
        added += 1
    db.session.flush()
    return added


def note_changes(group_puid: str, kind: str, names: list[str], at: datetime) -> list[Change]:
    return [Change(group_puid, kind, "note", at, member_name=name) for name in names]


def record_sync_changes(account_id: int, fresh: dict[str, dict], group_ids: dict[str, int],
                        contact_ids: dict[str, int], diff, known_groups: set[str] | frozenset[str],
                        now: datetime) -> int:
    """The joins and leaves a membership sync found (diff keys are (group id, contact id)), in groups that were
    already known before this sync: the first sight of a group lists its members, not people who just joined."""
    if not known_groups or not (diff.insert or diff.remove):
        return 0
    group_puids = {group_id: puid for puid, group_id in group_ids.items() if puid in known_groups}
    contact_puids = {contact_id: puid for puid, contact_id in contact_ids.items()}
    # Who left is no longer in the fresh member list: their names come from what is stored.
    leaving = [contact_id for _, contact_id in diff.remove]
    stored_names = dict(db.session.execute(select(Contact.id, Contact.nick_name).where(
        Contact.id.in_(leaving))).all()) if leaving else {}
    changes = []
    for kind, keys in (("join", diff.insert), ("leave", diff.remove)):
        for group_id, contact_id in keys:
            group_puid = group_puids.get(group_id)
            member_puid = contact_puids.get(contact_id)
            if group_puid is None or member_puid is None:
                continue
            member = fresh.get(group_puid, {}).get("members", {}).get(member_puid, {})
            names = frozenset(n for n in (member.get("nick_name"), member.get("display_name"),
                                          stored_names.get(contact_id)) if n)
            name = member.get("display_name") or member.get("nick_name") or stored_names.get(contact_id) or ""
            changes.append(Change(group_puid, kind, "sync", now, member_name=name, member_puid=member_puid,
                                  names=names))
    return record_changes(account_id, changes)
