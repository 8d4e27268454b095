"""Whether the bot is in a group, decided on evidence only, and groups learned from every source.

Web WeChat's contact list holds only the groups saved to contacts; the others show up in the login's initial list,
the status-notify (type 51) message, or when one of their messages arrives (ItChat issues 89, 440, 480, 707;
openwechat issue 441). So a group missing from a list proves nothing: the sync never deletes groups (their
memberships would cascade), and a group is marked left only when something says so (the bot was removed, the group
was dissolved, the operator says so). A message from the group after that is evidence that the bot is back.

Plain functions over SQL, independent of the WeChat driver.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, update

from drivers.types import GroupLeftReason
from extensions import db
from models.types import utcnow
from models.wechat import NAME, Group, Membership
from wechat.automation.naming import GroupInfo, number_of

logger = logging.getLogger(__name__)

# What the service can say (drivers.types.GroupLeftReason: removed, dissolved), and the operator's own mark.
LEFT_REASONS = (*(reason.value for reason in GroupLeftReason), "operator")


def mark_group_left(account_id: int, group_puid: str, reason: str, at: datetime | None = None,
                    keep_existing: bool = False) -> bool:
    """Record that the bot is out of the group (kept, with its members and messages). False: unknown group (or,
    with `keep_existing`, one already marked left: weaker evidence does not replace a note's reason)."""
    if reason not in LEFT_REASONS:
        raise ValueError(f"reason must be one of {', '.join(LEFT_REASONS)}")
    query = update(Group).where(Group.account_id == account_id, Group.puid == group_puid)
    if keep_existing:
        query = query.where(Group.left_at.is_(None))
    result = db.session.execute(query.values(left_at=at or utcnow(), left_reason=reason))
    db.session.commit()
    if result.rowcount:
        logger.info("group %s marked left (%s)", group_puid, reason)
    return bool(result.rowcount)


def groups_active(account_id: int, seen: dict[str, tuple[str, datetime]], clear_left: bool = True) -> None:
    """Messages arrived from these groups ({puid: (name, time of the latest)}): store the groups that are new
    (they may be on no list at all), and clear a "left" mark older than the message (the bot is back in it;
    `clear_left=False` for weaker evidence, such as the phone listing the chat). The caller commits."""
    if not seen:
        return
    stored = {row.puid: row for row in db.session.execute(select(Group.id, Group.puid, Group.left_at).where(
        Group.account_id == account_id, Group.puid.in_(list(seen)))).all()}
    now = utcnow()
    new = [{"account_id": account_id, "puid": puid, "nick_name": (name or "")[:NAME], "updated_at": now}
           for puid, (name, _) in seen.items() if puid not in stored]
    if new:
        db.session.execute(insert(Group), new)
    back = [row.id for puid, row in stored.items()
            if clear_left and row.left_at is not None and row.left_at < seen[puid][1]]
    if back:
        db.session.execute(update(Group).where(Group.id.in_(back)).values(left_at=None, left_reason=None))


def numbered_groups(account_id: int, template: str, live: list[GroupInfo] = ()) -> list[GroupInfo]:
    """The account's groups following `template` that the bot is still in, from the database (which remembers
    groups no list shows today), with the live view (`live`, fresher member lists) winning where both know one."""
    from models.wechat import Contact

    rows = db.session.execute(select(Group.id, Group.puid, Group.nick_name, Group.member_count).where(
        Group.account_id == account_id, Group.left_at.is_(None))).all()
    found = {row.puid: row for row in rows if number_of(row.nick_name or "", template) is not None}
    members: dict[int, set[str]] = {row.id: set() for row in found.values()}
    if members:
        for group_id, puid in db.session.execute(
                select(Membership.group_id, Contact.puid).join(Contact, Contact.id == Membership.contact_id)
                .where(Membership.group_id.in_(list(members)))).tuples():
            members[group_id].add(puid)
    result = {puid: GroupInfo(puid=puid, name=row.nick_name, size=max(row.member_count or 0, len(members[row.id])),
                              member_puids=frozenset(members[row.id])) for puid, row in found.items()}
    result.update({group.puid: group for group in live if number_of(group.name, template) is not None})
    return list(result.values())
