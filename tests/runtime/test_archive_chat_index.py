"""The worker's shortcuts around wxpy's per-message costs give what unmodified wxpy/itchat give: the chat index
(drivers/itchat/directory.py WxpyChats) finds the chat wxpy's Message would, and itchat's group lookup still hands out
a deep copy. A real wxpy Bot logged into the sandbox."""

from __future__ import annotations

import copy

import pytest
from wxpy import Message

from drivers.itchat.connection import copying_search_chatrooms, indexed_message_class
from drivers.itchat.directory import WxpyChats
from tests.fixtures.sandbox import bots, sandbox, sandbox_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


@pytest.fixture
def bot(bots):  # noqa: F811
    bot = bots.login()
    bot.chat_index = WxpyChats(bot)
    return bot


def raw_from(bot, user_name: str) -> dict:
    return {"MsgId": "1", "Type": "Text", "Text": "hi", "FromUserName": user_name, "ToUserName": bot.self.user_name}


def same_chat(found, expected) -> bool:
    return type(found) is type(expected) and found.user_name == expected.user_name and found.raw == expected.raw


def test_the_index_finds_what_wxpy_finds(bot):
    indexed = indexed_message_class()
    core = bot.core
    names = [row["UserName"] for rows in (core.memberList, core.chatroomList, core.mpList) for row in rows]
    assert any(name.startswith("@@") for name in names) and len(names) > 20
    for name in [*names, "@unknown", "@@unknown"]:
        expected, found = Message(raw_from(bot, name), bot).chat, indexed(raw_from(bot, name), bot).chat
        assert same_chat(found, expected), name


def test_the_index_follows_contacts_added_and_swapped(bot):
    core = bot.core
    assert bot.chat_index.find("@new") is None
    core.memberList.append({**core.memberList[-1], "UserName": "@new", "NickName": "新朋友"})
    assert bot.chat_index.find("@new").name == "新朋友"  # the list grew
    core.memberList[-1] = {**core.memberList[-1], "UserName": "@newer", "NickName": "又一个"}
    assert bot.chat_index.find("@newer").name == "又一个"  # same length: found after one more look


def test_group_lookup_is_still_a_deep_copy(bot):
    storage = bot.core.storageClass
    bot.core.update_chatroom(storage.chatroomList[0]["UserName"])  # login lists groups without their members
    group = storage.chatroomList[0]
    assert group["MemberList"]
    copied = copying_search_chatrooms(storage)(userName=group["UserName"])
    assert copied == copy.deepcopy(group) and copied is not group
    copied["MemberList"][0]["NickName"] = "changed"
    assert group["MemberList"][0]["NickName"] != "changed"
    assert copying_search_chatrooms(storage)(userName="@@nobody") is None
