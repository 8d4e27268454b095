"""Groups on evidence: a list that omits a group deletes nothing, messages teach groups, invites read the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from extensions import db
from models import Account, Group, Membership, Message
from wechat.automation.invites import plan_invite
from wechat.automation.naming import GroupInfo
from wechat.messages.archive import store_batch
from wechat.messages.recalls import recalled_msg_id, recaller
from wechat.sync.group_presence import groups_active, mark_group_left, numbered_groups
from wechat.sync.store import sync_groups

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def account() -> int:
    row = Account(puid="me", nick_name="bot")
    db.session.add(row)
    db.session.commit()
    return row.id


def snapshot(puid: str, name: str, members: list[str]) -> dict:
    return {"puid": puid, "nick_name": name, "is_owner": True, "owner_puid": "me", "member_count": len(members) + 1,
            "members": {m: {"nick_name": m.upper(), "display_name": ""} for m in members}}


def test_groups_missing_from_a_later_list_keep_their_members(app):
    account_id = account()
    sync_groups(account_id, {"g1": snapshot("g1", "Python1群", ["a", "b"]),
                             "g2": snapshot("g2", "摄影", ["c"])})
    result = sync_groups(account_id, {"g2": snapshot("g2", "摄影", ["c", "d"])})  # g1 is not saved to contacts
    assert result.removed == 0
    stored = {g.puid: g for g in db.session.execute(db.select(Group)).scalars()}
    assert set(stored) == {"g1", "g2"} and stored["g1"].left_at is None
    assert db.session.execute(db.select(db.func.count(Membership.id))
                              .where(Membership.group_id == stored["g1"].id)).scalar_one() == 2


def test_a_message_teaches_an_unlisted_group_and_brings_a_left_one_back(app):
    account_id = account()
    groups_active(account_id, {"g9": ("从未保存的群", NOW)})
    db.session.commit()
    assert db.session.execute(db.select(Group.nick_name).where(Group.puid == "g9")).scalar_one() == "从未保存的群"
    assert mark_group_left(account_id, "g9", "removed", at=NOW)
    groups_active(account_id, {"g9": ("从未保存的群", NOW - timedelta(minutes=1))})  # older: still left
    db.session.commit()
    assert db.session.execute(db.select(Group.left_reason).where(Group.puid == "g9")).scalar_one() == "removed"
    groups_active(account_id, {"g9": ("从未保存的群", NOW + timedelta(minutes=1))})  # the bot is back
    db.session.commit()
    assert db.session.execute(db.select(Group.left_at).where(Group.puid == "g9")).scalar_one() is None
    assert not mark_group_left(account_id, "unknown", "operator")


def test_keyword_invites_find_numbered_groups_the_live_list_lacks(app):
    account_id = account()
    sync_groups(account_id, {"g1": snapshot("g1", "Python1群", ["a"]), "g3": snapshot("g3", "Python3群", ["b"]),
                             "gx": snapshot("gx", "Python群", ["c"])})
    mark_group_left(account_id, "g3", "removed")
    found = numbered_groups(account_id, "Python{}群")  # the bot's live list has none of them (not saved)
    assert [g.puid for g in found] == ["g1"] and found[0].member_puids == {"a"}
    plan = plan_invite("new", "Python{}群", found, blacklisted=False)
    assert (plan.action, plan.group.puid) == ("invite", "g1")  # not a duplicate "Python1群"
    assert plan_invite("a", "Python{}群", found, blacklisted=False).action == "already_member"
    live = [GroupInfo("g1", "Python1群", 500, frozenset())]  # the live view, fresher, wins
    assert numbered_groups(account_id, "Python{}群", live)[0].size == 500


def record(msg_id: str, **extra) -> dict:
    return {"msg_id": msg_id, "type": "text", "chat_kind": "friend", "chat_puid": "f1", "chat_name": "张三",
            "sender_puid": "f1", "sender_name": "张三", "is_outgoing": False, "text": "hello", "url": None,
            "file_name": None, "created_at": NOW, **extra}


REVOKE = ('<sysmsg type="revokemsg"><revokemsg><session>@abc</session><oldmsgid>1001</oldmsgid>'
          '<msgid>1001</msgid><replacemsg><![CDATA["张三" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>')


def test_a_recall_marks_the_kept_original_with_who_and_when(app):
    account_id = account()
    assert recalled_msg_id(REVOKE) == "1001" and recalled_msg_id("<msgid>1</msgid>") is None
    assert recaller('"张三" 撤回了一条消息', "fallback") == "张三" and recaller("?", "fallback") == "fallback"
    later = NOW + timedelta(seconds=30)
    store_batch([(None, record("1001"))], account_id)
    store_batch([(None, record("1002", type="note", text='"张三" 撤回了一条消息', created_at=later,
                               recall_of=recalled_msg_id(REVOKE)))], account_id)
    original = db.session.execute(db.select(Message).where(Message.msg_id == "1001")).scalar_one()
    assert (original.text, original.recalled_by, original.recalled_at) == ("hello", "张三", later)


def test_group_messages_store_their_group(app):
    account_id = account()
    store_batch([(None, record("2001", chat_kind="group", chat_puid="g7", chat_name="新群"))], account_id)
    assert db.session.execute(db.select(Group.nick_name).where(Group.puid == "g7")).scalar_one() == "新群"


def test_a_status_notify_teaches_the_groups_open_on_the_phone(app):
    from types import SimpleNamespace

    from drivers.itchat.directory import ChatDirectory
    from drivers.itchat.events import notified_group_names, to_event
    from libs.redis_client import get_redis
    from tests.test_archive_batch import Bot, Driver
    from wechat.bot.builtin_handlers import learn_listed_groups
    from wechat.bot.dispatch import BotContext
    from wechat.bot.state import BotState

    assert notified_group_names("@a,@@x,@@y,@@x,filehelper", ["@@y"]) == ["@@x"]
    bot, fetched = Bot(), []

    def update_chatroom(names, detailedMember=False):  # noqa: N803  (itchat's name)
        fetched.append(list(names))
        bot.core.chatroomList.extend({"UserName": name, "NickName": "手机上打开的群"} for name in names)

    bot.core.update_chatroom = update_chatroom
    bot.puid_map.user_names["@@open"] = "puid-open"
    ctx = BotContext(app, BotState(get_redis()), Driver(bot))
    notify = SimpleNamespace(bot=bot, raw={"MsgType": 51, "StatusNotifyUserName": "@friend,@@group,@@open"})
    learn_listed_groups(to_event(notify, ChatDirectory(bot)), ctx)
    assert fetched == [["@@open"]]  # the group itchat already held is not fetched again
    assert db.session.execute(db.select(Group.nick_name).where(Group.puid == "puid-open")).scalar_one() == \
        "手机上打开的群"
