"""WeChat's answers to group operations, recorded shapes first (drivers/group_errors.py), and the back-off."""

from __future__ import annotations

import pytest

from drivers.group_errors import group_op_error
from drivers.itchat.driver import response_error
from wechat.automation.actions import BotActions, CommandError, GroupOpPacer
from wechat.bot.commands import command_error
from wechat.sending.pacing import Pacer

# wxpy issue 49: what itchat hands back for a refused creation (ErrMsg translated, the server's text in RawMsg).
E_XML = ("<e>\n<ShowType>1</ShowType>\n<Content><![CDATA[创建群聊失败]]></Content>\n<Url><![CDATA[]]></Url>\n"
         "<DispSec>30</DispSec>\n<Title><![CDATA[]]></Title>\n<Action>4</Action>\n</e>\n")


def test_a_ret_0_creation_without_a_group_id_is_a_failure_with_the_servers_reason():
    assert group_op_error("create", 0, E_XML, "请求成功", chat_room_name="") == (
        "wechat_error", "WeChat did not create the group: 创建群聊失败")
    assert group_op_error("create", 0, "", "", chat_room_name=None)[1].endswith("no group id in the answer")
    assert group_op_error("create", 0, "", chat_room_name="@@abc") is None


@pytest.mark.parametrize("ret, message", [(1, "操作太频繁，请稍后再试。"), (1205, ""),
                                          (0, E_XML.replace("创建群聊失败", "创建群聊的频率过快，请明日再试。"))])
def test_group_rate_limits_in_every_recorded_shape_are_rate_limits(ret, message):
    assert group_op_error("create", ret, message, chat_room_name="")[0] == "rate_limited"


def test_a_refused_removal_says_so_even_for_owners():
    code, message = group_op_error("remove", 1, "")
    assert code == "wechat_error" and "remove them on the phone" in message
    assert group_op_error("add", 1, "")[0] == "wechat_error"


def test_1204_is_a_recipient_wechat_will_not_deliver_to():
    assert command_error(response_error(1204, "")).code == "not_reachable"
    assert command_error(response_error(1205, "")).code == "rate_limited"
    assert command_error(response_error(1, "nope")).code == "wechat_error"


def test_group_operations_back_off_like_sends_then_give_the_reason():
    slept: list[float] = []
    pacer = GroupOpPacer(Pacer(0, 0, sleep=slept.append), backoff_base=2.0)
    answers = iter([CommandError("rate_limited", "too frequent"), CommandError("rate_limited", "too frequent"),
                    {"ok": True}])

    def create_group(bot, **kwargs):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    actions = BotActions(object(), account_id=1, pacer=pacer)
    assert actions._op(create_group, members=["a", "b"], topic="x") == {"ok": True}
    assert len(slept) == 2 and 1.6 <= slept[0] <= 2.4 and 3.2 <= slept[1] <= 4.8  # base·2^attempt, jittered

    def always_limited(bot, **kwargs):
        raise CommandError("rate_limited", "too frequent")

    with pytest.raises(CommandError) as caught:
        actions._op(always_limited)
    assert caught.value.code == "rate_limited"
