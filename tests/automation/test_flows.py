"""The flows with a fake bot: what each rule does in its edge cases (blacklist in a real DB)."""

import pytest

from extensions import db
from models.wechat import Account
from wechat.automation import blacklist, flows
from wechat.automation.actions import CommandError, GroupOpPacer
from wechat.automation.naming import GroupInfo
from wechat.automation.settings import defaults
from wechat.automation.votekick import VoteKick
from wechat.sending.pacing import Pacer

from .test_votekick import MemoryStore

TEMPLATE = "Python✌{}群"


class FakeActions:
    """BotActions' interface, recording calls; `fail` names operations that raise CommandError."""

    def __init__(self, account_id: int, fail: tuple[str, ...] = ()) -> None:
        self.account_id = account_id
        self.calls: list[tuple] = []
        self.fail = fail

    def _do(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise CommandError("wechat_error", f"{name} refused")

    def audit(self, action, target, reason, **detail):
        self.calls.append(("audit", action, target))

    def send(self, recipients, text, reason, files=None, action="automation.send", target=None, **detail):
        self.calls.append(("send", tuple(recipients), text))
        return 1

    def accept_friend(self, user_name):
        self._do("accept", user_name)
        return {"ok": True, "friend": {"puid": "new", "name": "新人"}}

    def add_to_group(self, group, person):
        self._do("add", group, person)
        return {"ok": True, "invited": False}

    def create_group(self, members, topic):
        self._do("create", tuple(members), topic)
        return {"ok": True, "group": {"puid": "created", "name": topic}}

    def remove_member(self, group, member):
        self._do("remove", group, member)

    def set_remark(self, puid, remark):
        self._do("remark", puid, remark)

    def of(self, kind):
        return [call for call in self.calls if call[0] == kind]


@pytest.fixture
def account(app):
    row = Account(puid="bot", nick_name="机器人")
    db.session.add(row)
    db.session.commit()
    return row.id


def env_for(account_id, groups=(), fail=(), **settings):
    merged = {**defaults(), "group_patterns": [["python", TEMPLATE]], **settings}
    return flows.Env(settings=merged, actions=FakeActions(account_id, fail), groups_for=lambda t: list(groups))


def test_friend_request_with_keyword_is_accepted_and_invited(account):
    env = env_for(account, [GroupInfo("g1", "Python✌1群", 10)])
    flows.handle_friend_request(env, "@u", "req", "新人", "加入PYTHON群")
    assert env.actions.of("accept") == [("accept", "@u")]
    assert env.actions.of("add") == [("add", "g1", "new")]
    assert not env.actions.of("send")


def test_friend_request_without_keyword_gets_the_invite_text_and_off_means_off(account):
    env = env_for(account)
    flows.handle_friend_request(env, "@u", "req", "新人", "你好")
    assert env.actions.of("send") == [("send", ("new",), defaults()["invite_text"])]
    off = env_for(account, auto_accept=False)
    flows.handle_friend_request(off, "@u", "req", "新人", "python")
    assert off.actions.calls == []


def test_blacklisted_people_are_not_accepted_nor_invited(account):
    blacklist.set_blacklisted(account, "bad", True)
    db.session.commit()
    env = env_for(account, [GroupInfo("g1", "Python✌1群", 10)])
    flows.handle_friend_request(env, "@u", "bad", "坏人", "python")
    assert not env.actions.of("accept")
    assert flows.invite_by_keyword(env, "bad", "坏人", ["python", TEMPLATE], "keyword") == "blacklisted"
    assert env.actions.of("send") == [("send", ("bad",), defaults()["blacklist_reply"])]
    assert not env.actions.of("add")


def test_creation_needs_two_creators_and_skips_the_person_among_them(account):
    full = [GroupInfo("g1", "Python✌1群", 500)]
    env = env_for(account, full)
    assert flows.invite_by_keyword(env, "p", "P", ["python", TEMPLATE], "keyword") == "failed"
    assert env.actions.of("audit")[-1][1] == "automation.group.create_failed"
    env = env_for(account, full, group_creators=["c1", "c2"])
    assert flows.invite_by_keyword(env, "p", "P", ["python", TEMPLATE], "keyword") == "create"
    assert env.actions.of("create") == [("create", ("c1", "c2"), "Python✌2群")]
    assert env.actions.of("add") == [("add", "created", "p")]
    assert env.actions.of("send")[0][1] == ("created",)


def test_failed_invite_is_audited_not_raised(account):
    env = env_for(account, [GroupInfo("g1", "Python✌1群", 10)], fail=("add",))
    assert flows.invite_by_keyword(env, "p", "P", ["python", TEMPLATE], "keyword") == "failed"
    assert env.actions.of("audit")[-1][1] == "automation.invite.failed"


MEMBERS = [flows.MemberInfo("t", frozenset({"坏人", "群昵称"}), "坏人", is_friend=True),
           flows.MemberInfo("o", frozenset({"群主"}), "群主"),
           flows.MemberInfo("d1", frozenset({"同名"}), "同名"), flows.MemberInfo("d2", frozenset({"同名"}), "同名")]


def kick(env, votes, voter, name):
    return flows.vote_kick(env, votes, "g", "群", voter, name, MEMBERS, protected={"o"})


def test_vote_kick_replies_and_kicks_at_quorum(account):
    env = env_for(account, kick_quorum=2)
    votes = VoteKick(MemoryStore(), 2, 10)
    assert kick(env, votes, "v1", "没这个人") == "unknown"
    assert kick(env, votes, "v1", "同名") == "ambiguous"
    assert kick(env, votes, "v1", "群主") == "protected"
    assert kick(env, votes, "v1", "群昵称") == "counted"  # the group display name works too
    assert kick(env, votes, "v1", "坏人") == "repeated"
    assert kick(env, votes, "v2", "坏人") == "kicked"
    assert env.actions.of("remove") == [("remove", "g", "t")]
    assert env.actions.of("remark") == [("remark", "t", "[黑名单]坏人")]
    assert blacklist.is_blacklisted(account, "t")
    texts = [call[2] for call in env.actions.of("send")]
    assert texts[-1] == "坏人 已被投票移出本群，并加入黑名单。"
    assert kick(env, votes, "v1", "坏人") == "counted"  # votes start over after a kick


def test_failed_removal_keeps_the_member_off_the_blacklist(account):
    env = env_for(account, fail=("remove",))
    votes = VoteKick(MemoryStore(), 2, 10)
    kick(env, votes, "v1", "坏人")
    assert kick(env, votes, "v2", "坏人") == "failed"
    assert not blacklist.is_blacklisted(account, "t")


def test_welcome_mp_and_relay_route_to_the_configured_groups(account):
    env = env_for(account, mp_forwarding=[{"mp": "m", "groups": ["a", "b"]}], relay_sets=[["a", "b", "c"]])
    flows.welcome(env, "a", "群", ["甲", "乙"])
    assert flows.forward_mp_articles(env, "other", "别的号", [("t", "u")]) is None
    flows.forward_mp_articles(env, "m", "号", [("标题", "https://u")])
    assert flows.relay(env, "z", "不相关", "张三", "hi") is None
    flows.relay(env, "b", "B", "张三", "hi")
    assert env.actions.of("send") == [
        ("send", ("a",), "\n".join(defaults()["welcome_text"].format(name=n) for n in ("甲", "乙"))),
        ("send", ("a", "b"), "标题\nhttps://u"),
        ("send", ("a", "c"), "张三: hi"),
    ]


def test_group_op_pacer_waits_only_the_rest_of_the_gap():
    now = [100.0]
    slept: list[float] = []
    pacer = GroupOpPacer(Pacer(2, 2, sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s))),
                         clock=lambda: now[0])
    pacer.wait()
    now[0] += 0.5
    pacer.wait()
    now[0] += 5
    pacer.wait()
    assert slept == [1.5]
