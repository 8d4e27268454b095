"""Group automation end to end: the sandbox, a real worker holding unmodified wxpy, settings over the API."""

import base64
import struct
import time
import zlib

import pytest

from tests.fixtures.processes import wait_for
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration

PATTERNS = [["python", "Python✌{}群"]]
CREATORS = ["创建者甲", "创建者乙"]
VOTERS = ["甲", "乙", "丙", "丁", "戊"]


def live(stack, **world):
    stack.sandbox.reset(friends=3, groups=0, mps=0, **world)
    stack.start_worker()
    stack.log_in()
    return stack


def chats(stack) -> dict:
    return wait_for(lambda: (r := stack.api("GET", "/api/wechat/chats")).status_code == 200 and r.json, 15,
                    what="the bot's chat list")


def puid(items: list[dict], name: str) -> str:
    return next(item["puid"] for item in items if item["name"] == name)


def configure(stack, **changes) -> dict:
    response = stack.api("PUT", "/api/settings/automation", json=changes)
    assert response.status_code == 200, response.json
    return response.json["settings"]


def sent_after(stack, seq: int, kind: str | None = None, to: str | None = None) -> list[dict]:
    return [e for e in stack.sandbox.sent(seq) if (kind is None or e["kind"] == kind) and (to is None or e["to"] == to)]


def members_of(stack, name: str) -> list[str]:
    group = next((g for g in stack.sandbox.world()["groups"] if g["name"] == name), None)
    return group["members"] if group else []


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("driver", DRIVERS)
def test_friend_request_keyword_invite_welcome_and_already_member(stack):
    live(stack, explicit_friends=CREATORS, explicit_groups=[
        {"name": "Python✌1群", "members": ["老成员"], "owner": "self"},
        {"name": "Python✌1群2", "members": ["路人甲"], "owner": "self"},
    ])
    configure(stack, group_patterns=PATTERNS, welcome_text="欢迎 @{name} 入群🎉")
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("friend_requests", {"from": "新人😀", "text": "我想加入 Python 群"})
    wait_for(lambda: "新人😀" in members_of(stack, "Python✌1群"), 30, what="the new friend in Python✌1群")
    assert "新人😀" not in members_of(stack, "Python✌1群2")  # exact name parsing, not a substring search
    kinds = [e["kind"] for e in sent_after(stack, seq)]
    assert kinds[:2] == ["verify_user", "add_member"], kinds
    # The direct add puts a join note in the owned group: the bot welcomes the newcomer there.
    welcome = wait_for(lambda: sent_after(stack, seq, "text", "Python✌1群"), 20, what="the welcome")
    assert welcome[0]["content"] == "欢迎 @新人😀 入群🎉"

    # A join by QR code is welcomed too; the same person asking again gets the already-member reply.
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("groups/join", {"group": "Python✌1群", "nick_name": "扫码的人", "how": "qrcode"})
    stack.sandbox.control("messages", {"from": "新人😀", "type": "text", "content": "PYTHON"})
    wait_for(lambda: sent_after(stack, seq, "text", "Python✌1群") and sent_after(stack, seq, "text", "新人😀"), 20,
             what="the welcome and the already-member reply")
    assert sent_after(stack, seq, "text", "Python✌1群")[0]["content"] == "欢迎 @扫码的人 入群🎉"
    assert "Python✌1群" in sent_after(stack, seq, "text", "新人😀")[0]["content"]
    assert not sent_after(stack, seq, "add_member") and not sent_after(stack, seq, "invite_member")
    audit_actions = {"automation.friend.accept", "automation.invite", "automation.welcome",
                     "automation.invite.already_member"}
    with stack.app.app_context():
        from extensions import db
        from models.audit import AuditLog

        rows = db.session.execute(db.select(AuditLog).where(AuditLog.actor == "bot")).scalars().all()
        assert audit_actions <= {row.action for row in rows}
        assert all(row.reason for row in rows)


@pytest.mark.parametrize("driver", DRIVERS)
def test_full_group_overflows_into_a_new_numbered_group(stack):
    live(stack, explicit_friends=CREATORS, explicit_groups=[
        {"name": "Python✌1群", "members": 500, "owner": "self"},
    ])
    friends = chats(stack)["friends"]
    configure(stack, group_patterns=PATTERNS, group_creators=[puid(friends, n) for n in CREATORS],
              new_group_announcement="这里是新开的「{group}」")
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("friend_requests", {"from": "后来者", "text": "python"})
    wait_for(lambda: "后来者" in members_of(stack, "Python✌2群"), 30, what="Python✌2群 with the newcomer in it")
    assert set(CREATORS) <= set(members_of(stack, "Python✌2群"))
    assert len(members_of(stack, "Python✌1群")) == 500
    created = sent_after(stack, seq, "create_group")
    assert [e["topic"] for e in created] == ["Python✌2群"]
    announcement = wait_for(lambda: [e for e in sent_after(stack, seq, "text", "Python✌2群")
                                     if e["content"] == "这里是新开的「Python✌2群」"], 20, what="the announcement")
    assert announcement


@pytest.mark.parametrize("driver", DRIVERS)
def test_vote_kick_mp_forwarding_and_relay(stack, driver):
    live(stack, explicit_friends=["坏人", *VOTERS, "张三", "李四"],
         explicit_groups=[
             {"name": "投票群", "members": ["坏人", *VOTERS], "owner": "self"},
             {"name": "中继A", "members": ["张三"], "owner": "self"},
             {"name": "中继B", "members": ["李四"], "owner": "self"},
             {"name": "文章群", "members": ["张三", "李四"], "owner": "self", "saved": True},  # the 4th: not recent
         ], explicit_mps=["Python之禅"],
         settings={"member_removal": "allowed"})  # the vote-kick flow under test; the refusal: tests/runtime
    everything = chats(stack)
    groups = everything["groups"]
    configure(stack, kick_quorum=5, kick_period_minutes=5, kick_text="{member} {current}/{total} {period}",
              kicked_text="{member} 出局", relay_sets=[[puid(groups, "中继A"), puid(groups, "中继B")]],
              mp_forwarding=[{"mp": puid(everything["mps"], "Python之禅"),
                              "groups": [puid(groups, "文章群"), puid(groups, "中继A")]}])

    # Vote-kick: 甲 votes twice, the repeat does not count; the fifth different voter removes 坏人.
    seq = stack.sandbox.state()["sent_count"]
    for voter in [VOTERS[0], VOTERS[0], *VOTERS[1:]]:
        stack.sandbox.control("messages", {"from": voter, "group": "投票群", "type": "text", "content": "踢出 @坏人"})
    wait_for(lambda: "坏人" not in members_of(stack, "投票群"), 30, what="坏人 removed")
    texts = wait_for(lambda: len(t := sent_after(stack, seq, "text", "投票群")) >= 5 and t, 20, what="kick texts")
    assert sorted(e["content"] for e in texts) == sorted(["坏人 1/5 5", "坏人 2/5 5", "坏人 3/5 5", "坏人 4/5 5",
                                                          "坏人 出局"])
    assert len(sent_after(stack, seq, "del_member")) == 1
    remark = wait_for(lambda: sent_after(stack, seq, "remark"), 10, what="the blacklist remark")
    assert remark[0]["remark_name"] == "[黑名单]坏人"
    assert [i["nick_name"] for i in stack.api("GET", "/api/blacklist").json["items"]] == ["坏人"]
    # Taken off the blacklist again: the remark loses its prefix on the phone too.
    seq_unblock = stack.sandbox.state()["sent_count"]
    removed = stack.api("DELETE", f"/api/blacklist/{puid(everything['friends'], '坏人')}")
    assert removed.status_code == 200 and removed.json["remark_restored"] is True, removed.json
    assert [e["remark_name"] for e in sent_after(stack, seq_unblock, "remark")] == ["坏人"]
    assert stack.api("GET", "/api/blacklist").json["items"] == []

    # An MP article goes to each mapped group.
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("mp_articles", {"mp": "Python之禅", "title": "Python 3.13 发布", "url": "https://x.test/a"})
    forwarded = wait_for(lambda: len(f := sent_after(stack, seq, "text")) >= 2 and f, 20, what="the forwarded article")
    assert sorted(e["to"] for e in forwarded) == ["中继A", "文章群"]
    assert all(e["content"] == "Python 3.13 发布\nhttps://x.test/a" for e in forwarded)

    # Relay both ways (text and a picture), and nothing comes back.
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("messages", {"from": "张三", "group": "中继A", "type": "text", "content": "大家好"})
    stack.sandbox.control("messages", {"from": "李四", "group": "中继B", "type": "picture",
                                       "data_b64": base64.b64encode(png()).decode(), "file_name": "猫.png"})
    # Both drivers relay the picture itself (padpro downloads it through the seam: drivers/padpro/media.py).
    picture = [("image", None), ("text", "李四:")]
    wait_for(lambda: sent_after(stack, seq, "text", "中继B") and sent_after(stack, seq, picture[0][0], "中继A"), 30,
             what="both relays")
    time.sleep(2)  # time enough for an echo loop to show itself
    sent = sent_after(stack, seq)
    to_b = [(e["kind"], e.get("content")) for e in sent if e["to"] == "中继B"]
    assert to_b == [("text", "张三: 大家好")], to_b
    to_a = sorted((e["kind"], e.get("content")) for e in sent if e["to"] == "中继A")
    assert to_a == picture, to_a


def test_english_notes_and_group_display_names(stack):
    """Notes in English (with the stray spaces real ones carry) are welcomed; "@老王" means the member whose group
    display name is 老王 before the one whose nick name is 老王, and the bot's texts call him by it."""
    live(stack, explicit_friends=["坏人", "老王", "甲", "乙"],
         settings={"note_language": "en", "member_removal": "allowed"},  # the kick itself is not under test here
         explicit_groups=[{"name": "投票群", "members": ["坏人", "老王", "甲", "乙"], "owner": "self",
                           "display_names": {"坏人": "老王"}}])
    configure(stack, kick_quorum=2, kick_period_minutes=5, kick_text="{member} {current}/{total}",
              kicked_text="{member} 出局", welcome_text="欢迎 @{name}")
    seq = stack.sandbox.state()["sent_count"]
    stack.sandbox.control("groups/join", {"group": "投票群", "nick_name": "扫码的人", "how": "qrcode"})
    welcome = wait_for(lambda: sent_after(stack, seq, "text", "投票群"), 20, what="the welcome")
    assert welcome[0]["content"] == "欢迎 @扫码的人"  # the note read '" 扫码的人" joined the group chat via ...'

    seq = stack.sandbox.state()["sent_count"]
    for voter in ("甲", "乙"):
        stack.sandbox.control("messages", {"from": voter, "group": "投票群", "type": "text", "content": "kick @老王"})
    wait_for(lambda: "坏人" not in members_of(stack, "投票群"), 30, what="坏人 (群昵称 老王) removed")
    assert "老王" in members_of(stack, "投票群")  # before: "ambiguous", nobody removed
    texts = wait_for(lambda: len(t := sent_after(stack, seq, "text", "投票群")) >= 2 and t, 20, what="kick texts")
    assert sorted(e["content"] for e in texts) == ["老王 1/2", "老王 出局"]

    # "You were removed from the group chat by "甲"": the group is marked left (kept, with its history).
    bot_nick = stack.sandbox.state()["account"]["nick_name"]
    stack.sandbox.control("world", {"op": "remove_member", "group": "投票群", "nick_name": bot_nick, "by": "甲"})

    def left_reason():
        with stack.app.app_context():
            from extensions import db
            from models.wechat import Group

            db.session.remove()
            return db.session.execute(db.select(Group.left_reason).where(Group.nick_name == "投票群")).scalar()

    assert wait_for(left_reason, 20, what="投票群 marked left") == "removed"
