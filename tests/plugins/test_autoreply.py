"""Auto-reply rules: match modes, scopes, @-mentions, regex time-out, validation."""

import time

import pytest

from libs.validation import ValueInvalid
from wechat.autoreply import Incoming, Rule, first_match, matches, strip_mentions, validate


def rule(mode, pattern, scope="friends", **kw):
    return Rule(id=kw.pop("id", 1), mode=mode, pattern=pattern, reply="r", scope=scope, **kw)


FRIEND = Incoming("价格", in_group=False, chat_puid="f")


def test_modes():
    assert matches(rule("exact", " 价格 "), "价格") and not matches(rule("exact", "价格"), "价格多少")
    assert matches(rule("exact", "Hello"), "  hello ")
    assert matches(rule("contains", "地址"), "请问地址在哪") and not matches(rule("contains", "地址"), "地点")
    assert matches(rule("contains", "ABC"), "xabcx")
    assert matches(rule("regex", r"^订单\d+$"), "订单123") and not matches(rule("regex", r"^订单\d+$"), "订单x")


def test_scopes_and_mentions():
    in_a = Incoming("x", in_group=True, chat_puid="A", is_at=True)
    in_b_quiet = Incoming("x", in_group=True, chat_puid="B", is_at=False)
    assert first_match([rule("contains", "x", "friends")], in_a) is None
    assert first_match([rule("contains", "x", "groups")], in_a) is not None
    assert first_match([rule("contains", "x", "all")], in_a) is not None
    assert first_match([rule("contains", "x", "all")], Incoming("x", in_group=False)) is not None
    assert first_match([rule("contains", "x", "groups")], Incoming("x", in_group=False)) is None
    chosen = rule("contains", "x", "chosen", group_puids=frozenset({"A"}))
    assert first_match([chosen], in_a) is not None
    assert first_match([chosen], Incoming("x", in_group=True, chat_puid="B", is_at=True)) is None
    assert first_match([rule("contains", "x", "groups")], in_b_quiet) is None
    assert first_match([rule("contains", "x", "groups", require_at=False)], in_b_quiet) is not None


def test_first_rule_wins():
    rules = [rule("contains", "价", id=1), rule("exact", "价格", id=2)]
    assert first_match(rules, FRIEND).id == 1


def test_catastrophic_regex_times_out_and_the_next_rule_still_answers():
    timed_out = []
    rules = [rule("regex", r"(a|aa)+$", id=1), rule("contains", "a", id=2)]
    started = time.monotonic()
    found = first_match(rules, Incoming("a" * 60 + "b", in_group=False), timeout=0.1, on_timeout=timed_out.append)
    assert time.monotonic() - started < 2
    assert [r.id for r in timed_out] == [1] and found.id == 2


def test_strip_mentions():
    assert strip_mentions("@小助手\u2005价格", ["小助手"]) == "价格"
    assert strip_mentions("价格 @小助手", ["小助手", None]) == "价格"
    assert strip_mentions("@小助手手 hi", ["小助手"]) == "@小助手手 hi"


def test_validation():
    assert validate({"mode": "exact", "pattern": "a", "reply": "b"}) == {"mode": "exact", "pattern": "a",
                                                                         "reply": "b"}
    for bad, field in [({"mode": "fuzzy", "pattern": "a", "reply": "b"}, "mode"),
                       ({"mode": "regex", "pattern": "(", "reply": "b"}, "pattern"),
                       ({"mode": "exact", "pattern": "a"}, "reply"),
                       ({"mode": "exact", "pattern": "a", "reply": "b", "scope": "chosen"}, "group_puids"),
                       ({"mode": "exact", "pattern": "a", "reply": "b", "require_at": "yes"}, "require_at"),
                       ({"mode": "exact", "pattern": "a", "reply": "b", "x": 1}, "x")]:
        with pytest.raises(ValueInvalid) as caught:
            validate(bad)
        assert caught.value.field == field
    current = {"mode": "exact", "pattern": "a", "reply": "b", "scope": "friends", "group_puids": []}
    assert validate({"mode": "regex"}, current) == {"mode": "regex"}
    with pytest.raises(ValueInvalid):
        validate({"scope": "chosen"}, current)
