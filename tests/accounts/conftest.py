"""Two WeChat accounts with data in one database, and admins of every role (views/account_context.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from extensions import db
from models.admin import AccountGrant, AdminUser, ApiToken
from models.message import Message
from models.plugin import AutoReplyRule
from models.schedule import Schedule
from models.send_job import SendJob, SendJobItem
from models.types import utcnow
from models.wechat import Account, Contact, Group

PASSWORD = "a long password 1"


@dataclass
class World:
    a: Account
    b: Account
    admins: dict[str, AdminUser] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    schedules: dict[str, int] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)

    def token(self, role: str, scope: str = "admin") -> str:
        token, clear = ApiToken.issue(db.session.get(AdminUser, self.admins[role].id), "walk", scope)
        db.session.add(token)
        db.session.commit()
        return clear


def _fill(account: Account, tag: str, world: World) -> None:
    db.session.add_all([
        Contact(account_id=account.id, puid=f"{tag}-friend", nick_name=f"friend of {tag}", is_friend=True),
        Contact(account_id=account.id, puid=f"{tag}-mp", nick_name=f"mp of {tag}", is_mp=True),
        Message(account_id=account.id, msg_id=f"{tag}-1", type="text", chat_kind="friend",
                chat_puid=f"{tag}-friend", chat_name=f"friend of {tag}", sender_puid=f"{tag}-friend",
                text=f"hello from {tag}", created_at=utcnow()),
    ])
    group = Group(account_id=account.id, puid=f"{tag}-group", nick_name=f"group of {tag}", member_count=3)
    job = SendJob(account_id=account.id, created_by="root", text=f"job of {tag}", total=1, status="failed", failed=1,
                  items=[SendJobItem(position=0, recipient_puid=f"{tag}-friend", status="failed")])
    schedule = Schedule(account_id=account.id, name=f"schedule of {tag}", text="hi", recipients=[f"{tag}-friend"],
                        kind="cron", cron="0 9 * * *", timezone="UTC", created_by="root")
    rule = AutoReplyRule(account_id=account.id, pattern=f"ping {tag}", reply="pong", mode="exact", scope="friends",
                         group_puids=[], position=0, updated_by="root")
    db.session.add_all([group, job, schedule, rule])
    db.session.flush()
    world.jobs[tag], world.schedules[tag], world.rules[tag], world.groups[tag] = job.id, schedule.id, rule.id, group.id


def _admin(username: str, role: str = "member", grants: dict[int, str] | None = None) -> AdminUser:
    admin = AdminUser(username=username, role=role)
    admin.set_password(PASSWORD)
    db.session.add(admin)
    db.session.flush()
    for account_id, grant in (grants or {}).items():
        db.session.add(AccountGrant(admin_id=admin.id, account_id=account_id, role=grant, created_by="test"))
    return admin


@pytest.fixture
def world(app, admin) -> World:
    """Accounts A (most recently logged in: the fallback) and B, each with contacts, a group, a message, a failed
    send job, a schedule and an auto-reply rule; admins: owner (root), operator of A, viewer of A, no grant."""
    a = Account(puid="self-a", nick_name="Account A", last_login_at=utcnow())
    b = Account(puid="self-b", nick_name="Account B")
    db.session.add_all([a, b])
    db.session.flush()
    world = World(a, b)
    _fill(a, "a", world)
    _fill(b, "b", world)
    world.admins = {"owner": admin, "operator": _admin("operator-a", grants={a.id: "operator"}),
                    "viewer": _admin("viewer-a", grants={a.id: "viewer"}), "none": _admin("nobody")}
    db.session.commit()
    return world
