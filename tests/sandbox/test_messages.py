"""Receiving: every message type reaches a wxpy handler with the right type, sender, chat and text."""

from __future__ import annotations

import hashlib
import queue
from urllib.parse import quote

import pytest

BOT = "wxpy机器人"
FRIEND = "小红🌟"
GROUP = "Python✌1群"
MEMBER = "群友甲"


@pytest.fixture
def world(sandbox):
    sandbox.reset(friends=5, groups=1, members=10, mps=1, explicit_friends=[FRIEND],
                  explicit_groups=[{"name": GROUP, "members": [FRIEND, MEMBER, "群友乙"]}],
                  explicit_mps=["Python之禅号"])
    return sandbox


@pytest.fixture
def inbox(world, bots):
    """(bot, queue of every message wxpy's handler saw)."""
    bot = bots.login()
    received: queue.Queue = queue.Queue()
    bot.register(except_self=False)(received.put)
    return bot, received


def named(chats, name):
    """The chat with exactly this name (wxpy's search() matches substrings)."""
    return next((c for c in chats if c.name == name), None)


def next_message(received: queue.Queue, timeout: float = 10.0):
    return received.get(timeout=timeout)


@pytest.mark.parametrize(("kind", "wxpy_type"), [
    ("picture", "Picture"), ("file", "Attachment"), ("voice", "Recording"), ("video", "Video"),
    ("emoticon", "Picture")])
def test_media_messages_download_the_same_bytes(world, inbox, kind, wxpy_type):
    bot, received = inbox
    injected = world.control("messages", {"from": FRIEND, "type": kind, "file_name": "报告.pdf"
                                          if kind == "file" else None})
    msg = next_message(received)
    assert (msg.type, msg.sender.nick_name, msg.chat.nick_name) == (wxpy_type, FRIEND, FRIEND)
    assert str(msg.id) == injected["msg_ids"][0]
    assert hashlib.md5(msg.get_file()).hexdigest() == injected["md5"]
    if kind == "file":
        assert msg.file_name == "报告.pdf" and int(msg.file_size) == injected["size"]


def test_text_group_card_sharing_system_and_echo(world, inbox):
    bot, received = inbox
    world.control("messages", {"from": FRIEND, "content": "a <b> & c\nline 2 😄"})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.sender.nick_name) == ("Text", "a <b> & c\nline 2 😄", FRIEND)

    world.control("messages", {"from": MEMBER, "group": GROUP, "content": "大家好"})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.chat.name, msg.member.name) == ("Text", "大家好", GROUP, MEMBER)

    world.control("messages", {"from": BOT, "group": GROUP, "content": "owner typed this on the phone"})
    msg = next_message(received)
    assert msg.sender == bot.self and msg.chat.name == GROUP and msg.text == "owner typed this on the phone"

    world.control("messages", {"from": FRIEND, "type": "card", "content": MEMBER})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.card.nick_name) == ("Card", MEMBER, MEMBER)

    world.control("messages", {"from": FRIEND, "type": "sharing", "content": "好文", "url": "https://a.example/?x=1&y=2"})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.url) == ("Sharing", "好文", "https://a.example/?x=1&y=2")

    world.control("mp_articles", {"mp": "Python之禅号", "title": "Flask & gevent", "url": "https://mp.example/1"})
    msg = next_message(received)
    assert msg.type == "Sharing" and msg.sender.nick_name == "Python之禅号"
    assert [(a.title, a.url) for a in msg.articles] == [("Flask & gevent", "https://mp.example/1")]

    world.control("groups/join", {"group": GROUP, "nick_name": "新人", "how": "invite", "inviter": MEMBER})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.chat.name) == ("Note", f'"{MEMBER}"邀请"新人"加入了群聊  ', GROUP)
    world.control("groups/join", {"group": GROUP, "nick_name": "扫码人", "how": "qrcode", "inviter": MEMBER})
    msg = next_message(received)
    assert msg.text == f'" 扫码人"通过扫描"{MEMBER}"分享的二维码加入群聊'
    # The ModContactList that came with the joins updates wxpy's member list (itchat applies it right
    # after handing over the messages of the same webwxsync, hence the wait).
    world.wait_for(lambda: {"新人", "扫码人"} <= {m.name for m in named(bot.groups(), GROUP).members})


def test_friend_request_can_be_accepted(world, inbox):
    bot, received = inbox
    world.control("friend_requests", {"from": "陌生人", "text": "python"})
    msg = next_message(received)
    assert (msg.type, msg.text, msg.card.nick_name) == ("Friends", "python", "陌生人")
    friend = bot.accept_friend(msg.card)
    assert friend.nick_name == "陌生人" and friend in bot.friends()
    assert world.sent()[-1]["kind"] == "verify_user" and world.sent()[-1]["to"] == "陌生人"
    assert "陌生人" in {f["nick_name"] for f in world.world()["friends"]}


def test_group_changes_reach_wxpy_through_sync(world, inbox):
    bot, _ = inbox
    world.control("world", {"op": "rename_group", "group": GROUP, "name": "新名字"})
    world.wait_for(lambda: named(bot.groups(), "新名字"))
    world.control("world", {"op": "leave_group", "group": "新名字", "nick_name": MEMBER})
    world.wait_for(lambda: MEMBER not in {m.name for m in named(bot.groups(), "新名字").members})


def test_old_sync_key_redelivers(world, inbox):
    bot, received = inbox
    old_key = dict(bot.core.loginInfo["SyncKey"])
    ids = world.control("messages", {"from": FRIEND, "content": "第{n}条", "count": 3})["msg_ids"]
    assert [next_message(received).text for _ in ids] == ["第1条", "第2条", "第3条"]
    info = bot.core.loginInfo
    sid = quote(info["wxsid"], safe="")  # real sids carry '+' and '/'
    url = f"{info['url']}/webwxsync?sid={sid}&skey={info['skey']}&pass_ticket={info['pass_ticket']}"
    again = bot.core.s.post(url, json={"BaseRequest": info["BaseRequest"], "SyncKey": old_key, "rr": 1}).json()
    assert [m["MsgId"] for m in again["AddMsgList"]] == ids
    assert again["SyncCheckKey"] == again["SyncKey"] and again["SyncKey"]["List"][0]["Key"] == 1


def test_many_injected_messages_all_arrive_in_order(world, inbox):
    bot, received = inbox
    ids = world.control("messages", {"from": FRIEND, "content": "burst {n}", "count": 300})["msg_ids"]
    assert len(set(ids)) == 300 and all(i.isdigit() for i in ids)
    texts = [next_message(received).text for _ in ids]
    assert sorted(texts, key=lambda t: int(t.split()[1])) == [f"burst {n}" for n in range(1, 301)]


def test_display_names_english_notes_and_the_bots_removal(world, inbox):
    bot, received = inbox
    world.control("world", {"op": "set_display_name", "group": GROUP, "nick_name": MEMBER, "display_name": "运营-甲"})
    world.wait_for(lambda: any(m.display_name == "运营-甲" for m in named(bot.groups(), GROUP).members))
    world.control("world", {"op": "set_note_language", "language": "en"})
    world.control("world", {"op": "remove_member", "group": GROUP, "nick_name": "群友乙"})
    assert next_message(received).text == 'You removed "群友乙" from the group chat'
    world.control("world", {"op": "remove_member", "group": GROUP, "nick_name": bot.self.nick_name, "by": MEMBER})
    assert next_message(received).text == f'You were removed from the group chat by "{MEMBER}"'
    assert GROUP not in {g["name"] for g in world.world()["groups"] if bot.self.nick_name in g["members"]}
