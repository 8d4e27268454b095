"""The type-51 status notify the real service sends after every login is not a message to archive."""

from wechat.messages.archive import is_message


def test_status_notify_is_not_archived():
    notify = {"MsgType": 51, "StatusNotifyCode": 4, "StatusNotifyUserName": "filehelper,@@" + "a" * 64}
    assert not is_message(notify)
    assert is_message({"MsgType": 1}) and is_message({"MsgType": 10000})
