"""A group dissolved by its owner is marked left with reason "dissolved", through a real worker on each driver (the
sandbox's web face sends the 10000 note 群主"X"已解散该群聊, its gateway face the recorded 10002 sysmsgtemplate)."""

from __future__ import annotations

import pytest

from tests.fixtures.processes import wait_for
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration


def group_row(stack, name: str):
    with stack.app.app_context():
        from extensions import db
        from models.wechat import Group

        db.session.remove()
        return db.session.execute(db.select(Group.left_reason, Group.left_at).where(Group.nick_name == name)).first()


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_dissolved_group_is_dissolved_and_one_changed_without_the_bot_is_removed(stack, driver):
    """Two groups, one live stack (a worker start and a login per driver, not per case):
    - the owner dissolves one: its note marks it left, reason "dissolved";
    - the bot leaves the other from the phone, so no note reaches it: the group leaves its contacts (DelContactList,
      which itchat ignores; DelContacts on the gateway), then a change to the group lists members without the bot
      (ModContactList / ModContacts): it is marked left, reason "removed"."""
    people = ["群主甲", "乙", "丙"]
    stack.sandbox.reset(friends=3, groups=0, mps=0, explicit_friends=people,
                        explicit_groups=[{"name": "将解散的群", "members": people, "owner": "群主甲"},
                                         {"name": "悄悄退出的群", "members": people, "owner": "群主甲"}])
    stack.start_worker()
    stack.log_in()
    for name in ("将解散的群", "悄悄退出的群"):
        stack.sandbox.control("messages", {"from": "乙", "group": name, "content": "还在吗"})
        wait_for(lambda name=name: group_row(stack, name), 30, what=f"{name} stored with its message")
        assert group_row(stack, name).left_reason is None

    stack.sandbox.control("world", {"op": "dissolve_group", "group": "将解散的群"})
    row = wait_for(lambda: (r := group_row(stack, "将解散的群")).left_reason and r, 30, what="the group marked left")
    assert row.left_reason == "dissolved" and row.left_at is not None
    notes = stack.api("GET", "/api/messages?per_page=20").json["items"]
    assert any(m["text"] == '群主"群主甲"已解散该群聊' for m in notes)  # the note itself is archived
    assert group_row(stack, "悄悄退出的群").left_reason is None  # the other group is untouched

    bot = stack.sandbox.state()["account"]["nick_name"]
    stack.sandbox.control("world", {"op": "leave_group", "group": "悄悄退出的群", "nick_name": bot})
    # Synced on its own first (one webwxsync answer carries a contact's first change only).
    wait_for(lambda: (s := stack.sandbox.state())["session"]["sync_position"] == s["log_position"], 30,
             interval=0.1, what="the client to sync the leave")
    stack.sandbox.control("world", {"op": "set_display_name", "group": "悄悄退出的群", "nick_name": "乙",
                                    "display_name": "小乙"})
    row = wait_for(lambda: (r := group_row(stack, "悄悄退出的群")).left_reason and r, 30, what="the group marked left")
    assert row.left_reason == "removed"
    assert group_row(stack, "将解散的群").left_reason == "dissolved"  # evidence of one kind never overwrites another
