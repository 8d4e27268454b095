"""The itchat driver (``ItchatDriver`` over a wxpy Bot) against the sandbox's web face: the seam's neutral data with
puids as ids, commands, and WeChat's refusals as the seam's errors."""

from __future__ import annotations

import base64

import pytest

from drivers.interface import Driver
from drivers.itchat import ItchatDriver
from drivers.itchat.puid_map import IndexedPuidMap
from drivers.types import ContactKind, Mention, NotLoggedIn, RateLimited, Rejected, Unsupported
from tests.fixtures.sandbox import bots  # noqa: F401  (fixture)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
                       "rkJggg==")


@pytest.fixture
def itchat_driver(bots, tmp_path):  # noqa: F811 - the fixture above
    bot = bots.login()
    bot.puid_map = IndexedPuidMap(str(tmp_path / "puid.pkl"))  # as create_bot does
    return ItchatDriver(bot)


def test_lists_are_neutral_data_whose_ids_are_the_puids(sandbox, itchat_driver):
    driver, bot = itchat_driver, itchat_driver.bot
    assert isinstance(driver, Driver)
    world = sandbox.world()
    me = driver.self_info()
    assert (me.id, me.nick_name) == (bot.self.puid, world["account"]["nick_name"])

    friends = driver.friends()
    assert sorted(f.nick_name for f in friends) == sorted(f["nick_name"] for f in world["friends"])
    assert all(f.kind is ContactKind.FRIEND for f in friends)
    assert {f.id for f in friends} == {f.puid for f in bot.except_self(bot.friends())}
    assert sorted(m.nick_name for m in driver.mps()) == sorted(m["nick_name"] for m in world["mps"])

    groups = {g.name: g for g in driver.groups()}
    assert set(groups) == {g["name"] for g in world["groups"]}
    first = world["groups"][0]
    members = driver.group_members(groups[first["name"]].id)
    assert {m.nick_name for m in members} >= set(first["members"])
    assert all(m.id for m in members) and len({m.id for m in members}) == len(members)


def test_sends_mentions_and_emoji_reach_wechat(sandbox, itchat_driver):
    driver = itchat_driver
    friend = driver.friends()[0]
    seq = sandbox.state()["sent_count"]
    result = driver.send_text(friend.id, "你好", [Mention(friend.id, friend.nick_name)], client_msg_id=10**16 + 7)
    assert result.msg_id
    assert driver.send_image(friend.id, PNG, "dot.png").msg_id
    assert driver.send_emoji(friend.id, "0123456789abcdef0123456789abcdef", 1234).msg_id
    sent = [e for e in sandbox.sent() if e["seq"] > seq]
    assert [e["kind"] for e in sent] == ["text", "image", "emoticon"], sent
    assert sent[0]["content"] == f"@{friend.nick_name}\u2005你好"
    assert sent[0]["to"] in {friend.nick_name, friend.remark_name}


def test_refusals_are_the_seams_errors(sandbox, itchat_driver):
    driver = itchat_driver
    me, friend = driver.self_info(), driver.friends()[0]
    with pytest.raises(Rejected) as to_self:  # known before sending: WeChat answers 1204
        driver.send_text(me.id, "me")
    assert to_self.value.code == 1204
    with pytest.raises(Rejected) as unknown:
        driver.send_text("no-such-puid", "x")
    assert unknown.value.details.get("not_found")
    with pytest.raises(Unsupported):
        driver.set_announcement(driver.groups()[0].id, "公告")
    sandbox.control("rate_limit", {"sends": 1, "per_seconds": 60})
    driver.send_text(friend.id, "one")
    with pytest.raises(RateLimited):
        driver.send_text(friend.id, "two")
    sandbox.control("rate_limit", {"off": True})
    driver.bot.logout()
    with pytest.raises(NotLoggedIn):
        driver.friends()


def test_the_command_table_keeps_the_send_jobs_client_msg_ids_on_itchat(sandbox, bots, tmp_path):  # noqa: F811
    """seam_commands passes each part's ClientMsgId to the itchat driver: a repeated part carries the same id (the
    sandbox's friendly setting answers it with the first delivery; without the id it would deliver twice)."""
    from wechat.bot.commands import send_message

    sandbox.reset(settings={"dedupe_client_msg_id": True})
    bot = bots.login()
    bot.puid_map = IndexedPuidMap(str(tmp_path / "puid.pkl"))
    friend = ItchatDriver(bot).friends()[0]
    seq = sandbox.state()["sent_count"]
    first = send_message(bot, to=friend.id, text="只一次", msg_ids=[10**16 + 42])
    again = send_message(bot, to=friend.id, text="只一次", msg_ids=[10**16 + 42])
    assert first["ok"] and first["msg_ids"] == again["msg_ids"], (first, again)
    assert [e["content"] for e in sandbox.sent() if e["seq"] > seq] == ["只一次"]
