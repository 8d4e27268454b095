"""The type-51 status notify the real service sends after every login is not a message to archive: the itchat
driver turns it into a ChatsListedEvent (the groups it names), which the archive does not store."""

from drivers.itchat.directory import ChatDirectory
from drivers.itchat.events import to_event
from drivers.types import ChatsListedEvent, GroupNoteEvent, MessageEvent
from tests.test_archive_batch import Bot, Driver, Msg
from wechat.bot.seam import SeamDirectory
from wechat.messages.archive import event_record


def test_status_notify_is_not_archived():
    bot = Bot()
    bot.core.update_chatroom = lambda names, detailedMember=False: None  # noqa: N803  (itchat's name)
    notify = Msg(bot, 1)
    notify.raw = {"MsgId": "1", "MsgType": 51, "StatusNotifyCode": 4,
                  "StatusNotifyUserName": "filehelper,@@" + "a" * 64, "FromUserName": "@me", "ToUserName": "@me"}
    directory = SeamDirectory(Driver(bot))
    event = to_event(notify, ChatDirectory(bot))
    assert isinstance(event, ChatsListedEvent) and event_record(event, directory) is None
    text = to_event(Msg(bot, 2), ChatDirectory(bot))
    note = Msg(bot, 3, sender="@@group", text='"小红"加入了群聊')
    note.raw.update(MsgType=10000, Type="Note")
    assert isinstance(text, MessageEvent) and event_record(text, directory)["msg_id"] == "2"
    joined = to_event(note, ChatDirectory(bot))
    assert isinstance(joined, GroupNoteEvent) and joined.member_names == ("小红",)
    assert event_record(joined, directory)["type"] == "system"
