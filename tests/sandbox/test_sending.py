"""Sending and acting as the bot; checked through /_sandbox/sent."""

from __future__ import annotations

import hashlib
import os

import pytest
from wxpy.exceptions import ResponseError

FRIENDS = ["甲", "乙", "丙", "丁", "戊"]
BIG_GROUP = "Python✌1群"


@pytest.fixture
def bot(sandbox, bots):
    sandbox.reset(friends=3, groups=0, members=3, mps=0, explicit_friends=FRIENDS,
                  explicit_groups=[{"name": BIG_GROUP, "members": 45}])
    return bots.login()


def friend(bot, name):
    return next(f for f in bot.friends() if f.name == name)


def test_send_text_image_big_file_emoticon_video(sandbox, bot, tmp_path):
    files = {"a.png": os.urandom(5000), "big.bin": os.urandom(1_300_000), "e.gif": b"GIF89a" + os.urandom(64),
             "v.mp4": os.urandom(3000)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    target = friend(bot, "甲")
    target.send("你好 <b>")
    target.send_image(str(tmp_path / "a.png"))
    target.send_file(str(tmp_path / "big.bin"))  # > 1 MB: three 512 KB chunks
    target.send_image(str(tmp_path / "e.gif"))  # itchat sends .gif as an emoticon
    target.send_video(str(tmp_path / "v.mp4"))
    bot.file_helper.send("note to self")
    sent = sandbox.sent()
    assert [e["kind"] for e in sent] == ["text", "image", "file", "emoticon", "video", "text"]
    assert sent[0]["content"] == "你好 <b>" and sent[0]["to"] == "甲"
    for entry, name in zip(sent[1:5], files, strict=True):
        assert (entry["file_name"], entry["size"]) == (name, len(files[name]))
        assert entry["md5"] == hashlib.md5(files[name]).hexdigest()
    assert sent[5]["to"] == "filehelper"


def test_group_lifecycle(sandbox, bot):
    group = bot.create_group([friend(bot, n) for n in FRIENDS[:2]], topic="新群🎉")
    assert group.is_owner and len(group.members) == 3
    group.add_members([friend(bot, "丙"), friend(bot, "丁")])
    group.update_group()
    assert len(group.members) == 5
    # Web WeChat refuses delmember even for the owner (ItChat issues 877, 923): Ret 1, empty ErrMsg.
    with pytest.raises(ResponseError) as caught:
        group.remove_members([m for m in group.members if m.name == "丙"])
    assert caught.value.err_code == 1
    group.rename_group("改名了")
    kinds = [(e["kind"], e["to"], e.get("members") or e.get("topic")) for e in sandbox.sent()]
    assert kinds == [("create_group", "新群🎉", ["甲", "乙"]), ("add_member", "新群🎉", ["丙", "丁"]),
                     ("mod_topic", "改名了", "改名了")]
    world_group = next(g for g in sandbox.world()["groups"] if g["name"] == "改名了")
    assert sorted(world_group["members"]) == sorted(["wxpy机器人", "甲", "乙", "丙", "丁"])


def test_failed_group_creation_is_ret_0_with_an_error_xml_and_the_hourly_limit_is_ret_1(sandbox, bots):
    # wxpy issues 49, 258 (Ret 0, <e> in ErrMsg, no ChatRoomName); ItChat issue 560 (Ret 1 "操作太频繁").
    sandbox.reset(friends=0, groups=0, mps=0, explicit_friends=FRIENDS, settings={"groups_per_hour": 1})
    core = bots.login().core
    names = {f["NickName"]: f for f in core.memberList}
    refused = core.create_chatroom([names["甲"]], "一个人建不了群")
    assert refused["BaseResponse"]["Ret"] == 0 and not refused["ChatRoomName"]
    assert "<e>" in refused["BaseResponse"]["RawMsg"] and "创建群聊失败" in refused["BaseResponse"]["RawMsg"]
    assert core.create_chatroom([names["甲"], names["乙"]], "第二个")["ChatRoomName"]
    limited = core.create_chatroom([names["丙"], names["丁"]], "第三个")
    assert limited["BaseResponse"]["Ret"] == 1 and "操作太频繁" in limited["BaseResponse"]["RawMsg"]
    assert [e["topic"] for e in sandbox.sent() if e["kind"] == "create_group"] == ["第二个"]


def test_above_40_members_needs_an_invitation(sandbox, bot):
    big = next(g for g in bot.groups() if g.name == BIG_GROUP)
    assert len(big.members) == 45
    info = bot.core.loginInfo
    url = f"{info['url']}/webwxupdatechatroom?fun=addmember&pass_ticket={info['pass_ticket']}"
    direct = bot.core.s.post(url, json={"BaseRequest": info["BaseRequest"], "ChatRoomName": big.user_name,
                                        "AddMemberList": friend(bot, "戊").user_name}).json()
    assert direct["BaseResponse"]["Ret"] == 1  # what web WeChat answers: invite instead
    big.add_members(friend(bot, "戊"))  # itchat switches to invitemember above InviteStartCount
    assert sandbox.sent()[-1]["kind"] == "invite_member"
    sandbox.wait_for(lambda: "戊" in {m.name for m in next(g for g in bot.groups() if g.name == BIG_GROUP).members})


def test_remark_name(sandbox, bot):
    friend(bot, "乙").set_remark_name("老乙")
    assert sandbox.sent()[-1] == {**sandbox.sent()[-1], "kind": "remark", "to": "乙", "remark_name": "老乙"}
    assert next(f for f in sandbox.world()["friends"] if f["nick_name"] == "乙")["remark_name"] == "老乙"


def test_rate_limit_error_is_surfaced(sandbox, bot):
    sandbox.control("rate_limit", {"sends": 2, "per_seconds": 60})
    target = friend(bot, "甲")
    target.send("one")
    target.send("two")
    with pytest.raises(ResponseError) as caught:
        target.send("three")
    assert caught.value.err_code == 1205
    sandbox.control("rate_limit", {"off": True})
    target.send("four")
    assert [e["content"] for e in sandbox.sent()] == ["one", "two", "four"]


def test_repeated_client_msg_id_is_delivered_again_like_the_real_service(sandbox, bot):
    # Nothing recorded shows web WeChat deduplicating a ClientMsgId: by default a repeat is a new message.
    target = friend(bot, "甲")
    target.send_raw_msg(1, "twice", msg_ext={"ClientMsgId": 12345678901234567, "LocalID": 1})
    target.send_raw_msg(1, "twice", msg_ext={"ClientMsgId": 12345678901234567, "LocalID": 1})
    assert [e["content"] for e in sandbox.sent()] == ["twice", "twice"]


def test_repeated_client_msg_id_is_delivered_once_with_the_friendly_setting(sandbox, bots):
    sandbox.reset(friends=0, groups=0, mps=0, explicit_friends=FRIENDS, settings={"dedupe_client_msg_id": True})
    target = friend(bots.login(), "甲")
    first = target.send_raw_msg(1, "once", msg_ext={"ClientMsgId": 12345678901234567, "LocalID": 1})
    again = target.send_raw_msg(1, "once", msg_ext={"ClientMsgId": 12345678901234567, "LocalID": 1})
    other = target.send_raw_msg(1, "once", msg_ext={"ClientMsgId": 12345678901234568, "LocalID": 2})
    assert [e["content"] for e in sandbox.sent()] == ["once", "once"]  # the repeat was not delivered
    assert first.id == again.id != other.id


def test_sending_to_a_group_member_who_is_not_a_friend_or_to_oneself_is_refused_with_1204(sandbox, bot):
    # wxpy issue 141, openwechat issue 110: the real service delivers only to friends, groups and MPs.
    group = next(g for g in bot.groups() if g.name == BIG_GROUP)
    group.update_group()
    friends = {f.user_name for f in bot.friends()}
    stranger = next(m for m in group.members if m.user_name not in friends)
    for target in (stranger, bot.self):
        with pytest.raises(ResponseError) as caught:
            target.send("hello")
        assert caught.value.err_code == 1204
    assert sandbox.sent() == []


def test_uploads_above_25_mb_need_webwxcheckupload_which_itchat_never_calls(sandbox, bot, tmp_path):
    # wechaty puppet-wechat uploadMedia: above 25 MB a Signature from webwxcheckupload is required.
    big = tmp_path / "大文件.bin"
    with big.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024 + 1)
    with pytest.raises(ResponseError):
        friend(bot, "甲").send_file(str(big))
    assert sandbox.sent() == []
