"""The figures of the insights page: one group over a range of local days, and all groups compared.

Days before the rollups' `rolled_until` come from the rollup tables; later days (today, and whatever the beat has
not reached yet) are counted live from `messages` — so a group of 500 members with a year of history reads ~365
day rows and ~170,000 sender-day rows instead of 500,000 messages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from extensions import db
from models.audit import AuditLog
from models.insights import InsightDay, InsightRollup, InsightSender, MembershipEvent
from models.wechat import Contact, Group, Membership
from wechat.insights.buckets import days_between, decode_hours, utc_range, week_heatmap
from wechat.insights.rollup import count_days

SILENT_DAYS = 30
TOP_MEMBERS = 20
REMOVAL_ACTIONS = ("automation.kick", "automation.kick.failed", "group.remove_members")


@dataclass(frozen=True)
class Range:
    first: date
    last: date
    zone: ZoneInfo
    today: date


def rolled_until(account_id: int, zone: ZoneInfo) -> date | None:
    state = db.session.get(InsightRollup, account_id)
    if state is None or state.time_zone != zone.key:
        return None
    return state.rolled_until


def _split(account_id: int, rng: Range) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """(rolled part, live part) of the range, each (first, last) or None."""
    until = rolled_until(account_id, rng.zone)
    if until is None or until <= rng.first:
        return None, (rng.first, rng.last)
    if until > rng.last:
        return (rng.first, rng.last), None
    return (rng.first, until - timedelta(days=1)), (until, rng.last)


def hours_by_day(account_id: int, group_puid: str, rng: Range) -> dict[date, list[int]]:
    rolled, live = _split(account_id, rng)
    days: dict[date, list[int]] = {}
    if rolled:
        rows = db.session.execute(select(InsightDay.day, InsightDay.hours).where(
            InsightDay.account_id == account_id, InsightDay.chat_puid == group_puid,
            InsightDay.day >= rolled[0], InsightDay.day <= rolled[1])).tuples()
        days.update((day, decode_hours(hours)) for day, hours in rows)
    if live:
        counted, _ = count_days(account_id, live[0], live[1], rng.zone, chat_puid=group_puid)
        days.update((day, hours) for (_, day), hours in counted.items())
    return days


def sender_counts(account_id: int, group_puid: str, rng: Range, since: date | None = None) -> dict[str, list[Any]]:
    """{sender puid: [name, messages in the range, last local day spoken since `since`]}: one pass over the days
    `since`..range end (default: the range), with the range's counts summed on the way."""
    scan = Range(min(rng.first, since or rng.first), max(rng.last, rng.today if since else rng.last), rng.zone,
                 rng.today)
    rolled, live = _split(account_id, scan)
    out: dict[str, list[Any]] = {}
    if rolled:
        in_range = case((InsightSender.day.between(rng.first, rng.last), InsightSender.messages), else_=0)
        rows = db.session.execute(select(
            InsightSender.sender_puid, func.sum(in_range), func.max(InsightSender.day)).where(
            InsightSender.account_id == account_id, InsightSender.chat_puid == group_puid,
            InsightSender.day >= rolled[0], InsightSender.day <= rolled[1]).group_by(InsightSender.sender_puid))
        for puid, count, last in rows.tuples():
            out[puid] = ["", int(count or 0), last]
    if live:
        _, counted = count_days(account_id, live[0], live[1], rng.zone, chat_puid=group_puid)
        for (_, day, puid), (name, count) in counted.items():
            entry = out.setdefault(puid, [name, 0, day])
            entry[0] = name or entry[0]
            entry[1] += count if rng.first <= day <= rng.last else 0
            entry[2] = max(entry[2], day) if entry[2] else day
    return out


def sender_names(account_id: int, group_puid: str, puids: list[str]) -> dict[str, str]:
    """The names the rollups last saw for these senders (a few: the most active)."""
    if not puids:
        return {}
    rows = db.session.execute(select(InsightSender.sender_puid, InsightSender.sender_name).where(
        InsightSender.account_id == account_id, InsightSender.chat_puid == group_puid,
        InsightSender.sender_puid.in_(puids)).order_by(InsightSender.day)).tuples()
    return {puid: name for puid, name in rows if name}


def members(account_id: int, group_puid: str) -> list[dict[str, Any]]:
    rows = db.session.execute(select(Contact.puid, Contact.nick_name, Membership.display_name)
                              .join(Membership, Membership.contact_id == Contact.id)
                              .join(Group, Group.id == Membership.group_id)
                              .where(Group.account_id == account_id, Group.puid == group_puid)).tuples()
    return [{"puid": puid, "name": display or nick or puid, "names": {n for n in (nick, display) if n}}
            for puid, nick, display in rows]


def events(account_id: int, group_puid: str | None, rng: Range) -> list[MembershipEvent]:
    start, end = utc_range(rng.first, rng.last, rng.zone)
    query = select(MembershipEvent).where(MembershipEvent.account_id == account_id,
                                          MembershipEvent.occurred_at >= start, MembershipEvent.occurred_at < end)
    if group_puid is not None:
        query = query.where(MembershipEvent.group_puid == group_puid)
    return list(db.session.execute(query.order_by(MembershipEvent.occurred_at)).scalars())


def daily_series(rng: Range, hours: dict[date, list[int]], changes: list[MembershipEvent],
                 members_at_end: int | None = None) -> list[dict[str, Any]]:
    """One row per local day of the range: joins, leaves, messages, and (given the member count at the end of the
    range) the members at the end of each day, walked back from that count through the joins and leaves."""
    joins: Counter[date] = Counter()
    leaves: Counter[date] = Counter()
    for event in changes:
        day = event.occurred_at.astimezone(rng.zone).date()
        (joins if event.kind == "join" else leaves)[day] += 1
    rows = [{"date": day.isoformat(), "joins": joins[day], "leaves": leaves[day],
             "messages": sum(hours.get(day, ()))} for day in days_between(rng.first, rng.last)]
    count = members_at_end
    for row in reversed(rows):
        row["members"] = max(count, 0) if count is not None else None
        if count is not None:
            count -= row["joins"] - row["leaves"]
    return rows


def members_at(account_id: int, group_puid: str, members_now: int, after: datetime) -> int:
    """The member count at `after`: today's, less the joins since, plus the leaves since."""
    counts = dict(db.session.execute(select(MembershipEvent.kind, func.count()).where(
        MembershipEvent.account_id == account_id, MembershipEvent.group_puid == group_puid,
        MembershipEvent.occurred_at >= after).group_by(MembershipEvent.kind)).all())
    return members_now - counts.get("join", 0) + counts.get("leave", 0)


def silent_members(current: list[dict[str, Any]], last_spoken: dict[str, date | None], today: date,
                   days: int = SILENT_DAYS) -> list[dict[str, Any]]:
    """Members who have not spoken in the group for `days` days (or never)."""
    cutoff = today - timedelta(days=days)
    out = []
    for member in current:
        last = last_spoken.get(member["puid"])
        if last is None or last <= cutoff:
            out.append({"puid": member["puid"], "name": member["name"],
                        "last_spoken": last.isoformat() if last else None})
    return sorted(out, key=lambda row: (row["last_spoken"] or "", row["name"]))


def silent_newcomers(current: list[dict[str, Any]], joins: list[MembershipEvent], last_spoken: dict[str, date | None],
                     zone: ZoneInfo) -> list[dict[str, Any]]:
    """Members who joined (a join event: by puid, or by name for a note a sync has not paired yet) and have not
    spoken in the group since the day they joined."""
    by_puid = {m["puid"]: m for m in current}
    out: dict[str, dict[str, Any]] = {}
    for event in joins:
        if event.kind != "join":
            continue
        member = by_puid.get(event.member_puid or "")
        if member is None:
            named = [m for m in current if event.member_name in m["names"]]
            member = named[0] if len(named) == 1 else None
        if member is None:
            continue
        joined = event.occurred_at.astimezone(zone).date()
        last = last_spoken.get(member["puid"])
        if last is None or last < joined:
            out[member["puid"]] = {"puid": member["puid"], "name": member["name"],
                                   "joined_at": event.occurred_at.isoformat()}
        else:
            out.pop(member["puid"], None)
    return sorted(out.values(), key=lambda row: row["joined_at"])


def removals(group_puid: str | None, rng: Range, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Vote-kicks and removals from the audit log (the bot's and the admins'), newest first."""
    start, end = utc_range(rng.first, rng.last, rng.zone)
    rows = db.session.execute(select(AuditLog).where(
        AuditLog.action.in_(REMOVAL_ACTIONS), AuditLog.created_at >= start, AuditLog.created_at < end)
        .order_by(AuditLog.created_at.desc()).limit(5000)).scalars()
    out = []
    for row in rows:
        group = (row.detail or {}).get("group") if row.action.startswith("automation.") else row.target
        if group_puid is not None and group != group_puid:
            continue
        out.append({"time": row.created_at.isoformat(), "action": row.action, "actor": row.actor,
                    "group": (names or {}).get(group or "", group or ""),
                    "member": row.target if row.action.startswith("automation.") else "",
                    "reason": row.reason or "", "ok": (row.detail or {}).get("ok", row.action == "automation.kick")})
    return out


def group_report(account_id: int, group_puid: str, rng: Range) -> dict[str, Any]:
    group = db.session.execute(select(Group.nick_name, Group.member_count).where(
        Group.account_id == account_id, Group.puid == group_puid)).first()
    hours = hours_by_day(account_id, group_puid, rng)
    changes = events(account_id, group_puid, rng)
    # One pass: the range's counts, and when each member last spoke over the past year (silence is measured back
    # from today, whatever the range).
    senders = sender_counts(account_id, group_puid, rng, since=rng.today - timedelta(days=366))
    last_spoken = {puid: entry[2] for puid, entry in senders.items()}
    current = members(account_id, group_puid)
    top = sorted(((puid, entry) for puid, entry in senders.items() if entry[1]),
                 key=lambda item: (-item[1][1], item[0]))[:TOP_MEMBERS]
    names = {m["puid"]: m["name"] for m in current}
    names.update((puid, entry[0]) for puid, entry in top if entry[0])  # a live name is the newest
    missing = [puid for puid, _ in top if puid not in names]
    names.update(sender_names(account_id, group_puid, missing))
    return {
        "group": {"puid": group_puid, "name": group[0] if group else "", "members": group[1] if group else 0},
        "days": daily_series(rng, hours, changes, members_at(account_id, group_puid, group[1] if group else 0,
                                                             utc_range(rng.first, rng.last, rng.zone)[1])),
        "heatmap": week_heatmap({day: h for day, h in hours.items() if rng.first <= day <= rng.last}),
        "top_members": [{"puid": puid, "name": names.get(puid, ""), "messages": count} for puid, (_, count, _) in top],
        "silent": silent_members(current, last_spoken, rng.today),
        "newcomers": silent_newcomers(current, changes, last_spoken, rng.zone),
        "leaves": [{"time": e.occurred_at.isoformat(), "name": e.member_name, "puid": e.member_puid,
                    "source": e.source} for e in changes if e.kind == "leave"],
        "removals": removals(group_puid, rng),
    }


def comparison(account_id: int, rng: Range) -> list[dict[str, Any]]:
    """Every group: members now, joins, leaves, messages and active members over the range."""
    groups = db.session.execute(select(Group.puid, Group.nick_name, Group.member_count).where(
        Group.account_id == account_id).order_by(Group.nick_name)).tuples().all()
    messages: Counter[str] = Counter()
    active: dict[str, set[str]] = {}
    rolled, live = _split(account_id, rng)
    if rolled:
        for chat, count in db.session.execute(select(InsightDay.chat_puid, func.sum(InsightDay.messages)).where(
                InsightDay.account_id == account_id, InsightDay.day >= rolled[0], InsightDay.day <= rolled[1])
                .group_by(InsightDay.chat_puid)).tuples():
            messages[chat] += int(count or 0)
        for chat, sender in db.session.execute(select(InsightSender.chat_puid, InsightSender.sender_puid).where(
                InsightSender.account_id == account_id, InsightSender.day >= rolled[0],
                InsightSender.day <= rolled[1]).distinct()).tuples():
            active.setdefault(chat, set()).add(sender)
    if live:
        days, senders = count_days(account_id, live[0], live[1], rng.zone)
        for (chat, _), hours in days.items():
            messages[chat] += sum(hours)
        for chat, _, sender in senders:
            active.setdefault(chat, set()).add(sender)
    joins: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for event in events(account_id, None, rng):
        (joins if event.kind == "join" else leaves)[event.group_puid] += 1
    return [{"puid": puid, "name": name, "members": member_count, "joins": joins[puid], "leaves": leaves[puid],
             "net": joins[puid] - leaves[puid], "messages": messages[puid],
             "active_members": len(active.get(puid, ()))} for puid, name, member_count in groups]


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()
