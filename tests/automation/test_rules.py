"""Unit tests of the pure rules: group numbering, keyword matching, the invite plan, join notes, kick commands."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wechat.automation.invites import keyword_in_message, keyword_in_request, plan_invite
from wechat.automation.naming import GroupInfo, name_for, next_number, number_of, numbered, with_room
from wechat.automation.notes import bot_removed_from_group, joined_names, parse_note
from wechat.automation.routing import article_text, mp_targets, relay_targets, relay_text
from wechat.automation.votekick import parse_kick

TEMPLATE = "Python✌{}群"
PATTERNS = [["python", TEMPLATE], ["Flask", "Flask{}群"]]


def group(number_or_name, size=10, members=()):
    name = name_for(TEMPLATE, number_or_name) if isinstance(number_or_name, int) else number_or_name
    return GroupInfo(puid=f"g-{name}", name=name, size=size, member_puids=frozenset(members))


# -- naming --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, number", [
    ("Python✌1群", 1), ("Python✌12群", 12), ("Python✌1群2", None), ("Python✌群", None), ("Python✌01群", None),
    ("xPython✌1群", None), ("Python✌1群 ", None), ("Python✌-1群", None), ("Python✌１群", None),
])
def test_number_is_parsed_exactly(name, number):
    assert number_of(name, TEMPLATE) == number


def test_templates_with_regex_characters_are_literal():
    assert number_of("C++ (3) 群", "C++ ({}) 群") == 3
    assert number_of("C+ (3) 群", "C++ ({}) 群") is None


@given(st.integers(1, 99999))
def test_name_and_number_round_trip(number):
    assert number_of(name_for(TEMPLATE, number), TEMPLATE) == number


@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 500)), max_size=20))
def test_choice_is_lowest_with_room_and_next_number_is_above_all(specs):
    groups = [group(n, size=s) for n, s in specs] + [group("Python✌1群2"), group("other")]
    found = numbered(groups, TEMPLATE)
    assert [item.number for item in found] == sorted(n for n, _ in specs)
    room = with_room(found)
    open_numbers = [n for n, s in specs if s < 500]
    assert (room.number if room else None) == (min(open_numbers) if open_numbers else None)
    assert next_number(found) == max((n for n, _ in specs), default=0) + 1
    assert all(next_number(found) > item.number for item in found)


# -- keywords and the invite plan ----------------------------------------------------------------------------------
def test_keyword_in_message_is_exact_and_case_insensitive():
    assert keyword_in_message("  PYTHON ", PATTERNS) == PATTERNS[0]
    assert keyword_in_message("flask", PATTERNS) == PATTERNS[1]
    assert keyword_in_message("I like python", PATTERNS) is None
    assert keyword_in_message("", PATTERNS) is None


def test_keyword_in_request_is_contained_and_first_pattern_wins():
    assert keyword_in_request("我想加入Python和flask群", PATTERNS) == PATTERNS[0]
    assert keyword_in_request("你好", PATTERNS) is None


def test_plan_invites_into_lowest_group_with_room():
    plan = plan_invite("p1", TEMPLATE, [group(2, 10), group(1, 500), group(3, 1)], blacklisted=False)
    assert (plan.action, plan.group.name) == ("invite", "Python✌2群")


def test_plan_already_member_of_any_group_of_the_template():
    plan = plan_invite("p1", TEMPLATE, [group(1, 500, ["p1"]), group(2, 3)], blacklisted=False)
    assert (plan.action, plan.group.name) == ("already_member", "Python✌1群")


def test_plan_creates_next_number_when_all_full_or_none():
    assert plan_invite("p1", TEMPLATE, [group(1, 500), group(4, 500)], False).name == "Python✌5群"
    plan = plan_invite("p1", TEMPLATE, [group("Python✌1群2")], False)
    assert (plan.action, plan.name) == ("create", "Python✌1群")


def test_plan_refuses_blacklisted_people():
    assert plan_invite("p1", TEMPLATE, [group(1)], blacklisted=True).action == "blacklisted"


# -- notes ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("note, names", [
    ('"张三"邀请"李四😀"加入了群聊', ["李四😀"]),
    ('"李四"通过扫描"张三"分享的二维码加入群聊', ["李四"]),
    ('你邀请"李四"加入了群聊', ["李四"]),
    ('你邀请"甲"、"乙"加入了群聊', ["甲", "乙"]),
    ('"李四"通过你的邀请加入了群聊', ["李四"]),
    ('"张三"邀请""><img src=x onerror=alert(1)>"加入了群聊', ['"><img src=x onerror=alert(1)>']),
    ("你修改群名为“新群”", []),
    ('你将"李四"移出了群聊', []),
    ("", []),
])
def test_join_notes(note, names):
    assert joined_names(note) == names


# -- kick commands -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, name", [
    ("踢出 @张三", "张三"), ("移出@张三\u2005", "张三"), ("移除 @Bob Smith", "Bob Smith"), ("T @坏人", "坏人"),
    ("kick @spam", "spam"), ("KICK @spam ", "spam"), ("t @x", "x"),
    ("@张三 踢出", None), ("踢出张三", None), ("hello @张三", None), ("踢出 @", None), ("Tom @x", None),
])
def test_parse_kick(text, name):
    assert parse_kick(text) == name


# -- routing -------------------------------------------------------------------------------------------------------
def test_mp_targets_merge_rules_in_order():
    rules = [{"mp": "m1", "groups": ["a", "b"]}, {"mp": "m2", "groups": ["c"]}, {"mp": "m1", "groups": ["b", "d"]}]
    assert mp_targets(rules, "m1") == ["a", "b", "d"]
    assert mp_targets(rules, "m3") == []


def test_relay_targets_never_include_the_source():
    sets = [["a", "b"], ["b", "c", "a"], ["x", "y"]]
    assert relay_targets(sets, "a") == ["b", "c"]
    assert relay_targets(sets, "b") == ["a", "c"]
    assert relay_targets(sets, "z") == []


def test_texts():
    assert relay_text("张三", "你好") == "张三: 你好"
    assert article_text([("标题", "https://x"), ("二", "")]) == "标题\nhttps://x\n\n二"


# Forms recorded by wechaty's room-event parsers (firer.spec.ts): English notes, stray spaces, the bot's removal.
@pytest.mark.parametrize("note, kind, names", [
    ("李卓桓 invited Huan to the group chat", "join", ["Huan"]),
    ("You invited 管理员 to the group chat.   ", "join", ["管理员"]),
    ("You invited 李卓桓.PreAngel、Bruce LEE to the group chat.   ", "join", ["李卓桓.PreAngel", "Bruce LEE"]),
    ('"凌" invited "庆次、小桔妹" to the group chat', "join", ["庆次", "小桔妹"]),
    ('"桔小秘"邀请你和"庆次、小桔妹"加入了群聊', "join", ["庆次", "小桔妹"]),
    ('" 桔小秘"通过扫描"李佳芮"分享的二维码加入群聊', "join", ["桔小秘"]),
    ('" 桔小秘" joined the group chat via the QR Code shared by "李佳芮".', "join", ["桔小秘"]),
    ('You removed "Bruce LEE" from the group chat', "leave", ["Bruce LEE"]),
    ('"群主" removed "a"、"b" from the group chat', "leave", ["a", "b"]),
    ('你将"Huan LI++"移出了群聊', "leave", ["Huan LI++"]),
    ('You were removed from the group chat by "桔小秘"', "bot_removed", []),
    ('你被"李佳芮"移出群聊', "bot_removed", []),
])
def test_notes_in_both_languages(note, kind, names):
    event = parse_note(note)
    assert (event.kind, event.names) == (kind, names)
    assert bot_removed_from_group(note) == (kind == "bot_removed")


@pytest.mark.parametrize("note", ['"X" invited you to the group chat', "You changed the group name to x",
                                  "You were removed from the group chat by ", '"张三"修改群名为"移出了群聊"'])
def test_notes_that_announce_no_member(note):
    assert parse_note(note) is None and not bot_removed_from_group(note)


# -- group display names (群昵称) ------------------------------------------------------------------------------------
def member(puid, nick, display=""):
    from wechat.automation.flows import MemberInfo

    return MemberInfo(puid, frozenset(n for n in (nick, display) if n), display or nick, display_name=display,
                      nick_name=nick)


def test_at_name_means_the_display_name_first_then_the_nick_name():
    from wechat.automation.flows import resolve_member

    members = [member("a", "Bob", display="老王"), member("b", "老王"), member("c", "Carol")]
    assert [m.puid for m in resolve_member(members, "老王")] == ["a"]  # before: ambiguous (a's display, b's nick)
    assert [m.puid for m in resolve_member(members, "Bob")] == ["a"]
    assert [m.puid for m in resolve_member(members, "Carol")] == ["c"]
    assert resolve_member(members, "nobody") == []


def test_mentions_use_the_display_name():
    from wechat.automation.flows import mention_names

    members = [member("a", "Bob", display="老王"), member("c", "Carol")]
    assert mention_names(["Bob", "Carol", "New"], members) == ["老王", "Carol", "New"]
