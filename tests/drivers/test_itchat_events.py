"""The itchat driver's side of the neutral events: a wxpy Message → the seam's event with puids for ids
(drivers/itchat/events.py), its media fetched through ItchatDriver.download_media, the wxpy Message kept only in
the process (never spooled). wxpy's messages and bot are the small stand-ins of tests/test_archive_batch.py."""

from __future__ import annotations

import io

import pytest

from drivers.itchat.directory import ChatDirectory
from drivers.itchat.driver import ItchatDriver
from drivers.itchat.events import to_event
from drivers.types import (
    FriendRequestEvent,
    GroupNoteEvent,
    GroupNoteKind,
    MediaTooLarge,
    MessageEvent,
    MessageKind,
    RecallEvent,
    Rejected,
)
from tests.test_archive_batch import FRIEND, GROUP, Bot, Msg
from wechat.bot import event_spool


def event_of(msg):
    return to_event(msg, ChatDirectory(msg.bot))


def test_messages_carry_puids_and_the_wxpy_message():
    bot = Bot()
    group_text = Msg(bot, 1, sender=GROUP, text="群里")
    event = event_of(group_text)
    assert isinstance(event, MessageEvent) and event.native is group_text
    assert (event.msg_id, event.kind, event.chat_id, event.sender_id, event.is_group, event.text) == \
        ("1", MessageKind.TEXT, "puid-group", "puid-member", True, "群里")
    assert not event.mentions_self
    group_text.raw["isAt"] = True  # itchat's spelling (produce_group_chat)
    assert event_of(group_text).mentions_self
    mine = event_of(Msg(bot, 2, sender=FRIEND, outgoing=True))
    assert (mine.chat_id, mine.sender_id, mine.is_group) == ("puid-friend", "puid-me", False)
    picture = event_of(Msg(bot, 3, kind="Picture", text=""))
    assert (picture.kind, picture.media_ref) == (MessageKind.IMAGE, "3")
    assert event_of(Msg(bot, 4)).media_ref == ""


def test_requests_notes_and_recalls_become_their_events():
    bot = Bot()
    request = Msg(bot, 5, sender="fmessage", text="")
    request.raw.update(MsgType=37, Type="Friends", RecommendInfo={
        "UserName": FRIEND, "NickName": "小明", "Content": "我是小明", "Ticket": "t1", "Scene": 30})
    event = event_of(request)
    assert isinstance(event, FriendRequestEvent)
    assert (event.user_id, event.encrypt_user, event.ticket, event.scene, event.text) == \
        ("puid-friend", FRIEND, "t1", 30, "我是小明")
    removed = Msg(bot, 6, sender=GROUP, text='你被"群主"移出群聊')
    removed.raw.update(MsgType=10000, Type="Note")
    note = event_of(removed)
    assert isinstance(note, GroupNoteEvent) and (note.group_id, note.kind, note.member_ids) == \
        ("puid-group", GroupNoteKind.LEAVE, ("puid-me",))
    recall = Msg(bot, 7, text='"小明" 撤回了一条消息')
    recall.raw.update(MsgType=10002, Type="Note", Content="<sysmsg type=\"revokemsg\"><revokemsg>"
                      "<msgid>1234</msgid></revokemsg></sysmsg>")
    recalled = event_of(recall)
    assert isinstance(recalled, RecallEvent) and (recalled.chat_id, recalled.recalled_msg_id) == ("puid-friend", "1234")
    hostile = Msg(bot, 8, text="x")
    hostile.raw.update(MsgType=10002, Type="Note", Content="<msgid>１２</msgid>revokemsg")
    assert event_of(hostile).recalled_msg_id == ""


def test_media_is_streamed_through_the_driver_within_the_cap():
    bot = Bot()
    driver = ItchatDriver(bot)
    picture = event_of(Msg(bot, 9, kind="Picture", text=""))
    sink = io.BytesIO()
    assert driver.download_media(picture, sink, 1024) == len(b"\x89PNG picture")
    assert sink.getvalue() == b"\x89PNG picture" and bot.downloads == ["9"]
    with pytest.raises(MediaTooLarge) as raised:
        driver.download_media(picture, io.BytesIO(), 4)
    assert raised.value.size == len(b"\x89PNG picture")
    spooled = event_spool.load(event_spool.dump(picture))  # what crosses a process: no wxpy message
    assert spooled == picture and spooled.native is None
    with pytest.raises(Rejected):
        driver.download_media(spooled, io.BytesIO(), 1024)  # not a message the driver holds
    driver.hold(spooled.media_ref, picture.native)  # the listener's loop holds its batch's messages
    assert driver.download_media(spooled, io.BytesIO(), 1024) == len(b"\x89PNG picture")
    driver.release_held()
    with pytest.raises(Rejected):
        driver.download_media(spooled, io.BytesIO(), 1024)


def test_mp_articles_survive_the_spool():
    event = MessageEvent("1", MessageKind.LINK, "mp", "mp", False, articles=(("标题", "https://mp.example/1"),))
    assert event_spool.load(event_spool.dump(event)).articles == (("标题", "https://mp.example/1"),)
