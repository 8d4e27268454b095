"""Any WeChat user can send a 100,000-character message: no shape of it may cost the bot's process real time.

Each test runs the function the message loop runs on such a message and measures the process's CPU time. The bound
(500 ms for 100,000 characters) is a correctness bound, not a benchmark: the code before these tests took seconds to
minutes per message (a backtracking command pattern, join-note patterns, itchat's location pattern, unbounded plugin
patterns). The note and command parsers are also held to linear growth: four times the text may cost at most eight
times the CPU, which a quadratic parser (sixteen times) fails however fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from drivers.itchat.inbound import guarded, mp_articles, parse_xml
from libs.emoji_markup import normalize_emoji
from libs.text_limits import MAX_MATCHED_CHARS, Budget
from libs.uploads import sanitize_name
from wechat import autoreply
from wechat.automation.invites import keyword_in_message, keyword_in_request
from wechat.automation.notes import joined_names, parse_note
from wechat.automation.votekick import parse_kick
from wechat.plugins.matcher import MessageView, select_plugins
from wechat.plugins.spec import spec_from_object

N = 100_000
CPU_BOUND = 0.5
GROWTH_BOUND = 8  # CPU of 4x the text over CPU of the text: 4 if linear, 16 if quadratic
TIMER_SLACK = 0.02  # seconds: below this, process_time's granularity and cache effects dominate the ratio


def cpu(function, *args):
    started = time.process_time()
    result = function(*args)
    return time.process_time() - started, result


def best_cpu(function, text: str, runs: int = 2) -> float:
    return min(cpu(function, text)[0] for _ in range(runs))


SHAPES: dict[str, Callable[[int], str]] = {
    "kick_spaces": lambda n: "kick @a" + " " * n + "b",
    "kick_u2005": lambda n: "踢出 @" + "\u2005" * n + "x",
    "kick_at_runs": lambda n: "T" + " @" * (n // 2),
    "invite_note": lambda n: '"a"邀请"' * (n // 6),
    "invite_note_you": lambda n: '你邀请"' + '"邀请"' * (n // 4),
    "scan_note": lambda n: '"' + '"通过扫描"a' * (n // 7) + "分享的二维码加入群聊",
    "scan_note_yours": lambda n: '"' + '"通过扫描"a' * (n // 7) + "你分享的二维码加入群聊",
    "accepted_note": lambda n: '"' + '"' * n + "通过你的邀请",
    "english_invite_note": lambda n: " invited" * (n // 8) + " to the group chat",
    "english_qr_note": lambda n: " joined the group chat via the QR Code shared by " * (n // 49) + "x",
    "removal_note": lambda n: '"将"' * (n // 3) + '"移出了群聊',
    "parens": lambda n: "(" * n,
    "spaces": lambda n: " " * n,
    "at_mentions": lambda n: "@a " * (n // 3),
    "cdata": lambda n: "[CDATA[" * (n // 7),
    "emoji_spans": lambda n: '<span class="emoji emoji1f604' * (n // 29),
}
HOSTILE_TEXTS = {shape: make(N) for shape, make in SHAPES.items()}
PATTERNS = [["python", "Python群{n}"], ["a" * 20, "A{n}"]]
PARSERS = {
    "parse_kick": parse_kick, "joined_names": joined_names, "parse_note": parse_note,
    "keyword_in_message": lambda t: keyword_in_message(t, PATTERNS),
    "keyword_in_request": lambda t: keyword_in_request(t, PATTERNS),
    "normalize_emoji": normalize_emoji, "sanitize_name": sanitize_name,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_commands_notes_and_keywords_are_linear(shape):
    text, four_times = SHAPES[shape](N), SHAPES[shape](4 * N)
    for name, parse in PARSERS.items():
        spent, spent_four_times = best_cpu(parse, text), best_cpu(parse, four_times)
        assert spent < CPU_BOUND, (shape, name, spent)
        assert spent_four_times < GROWTH_BOUND * spent + TIMER_SLACK, (shape, name, spent, spent_four_times)


def test_the_growth_check_fails_a_quadratic_parser():
    """The check above must be able to fail: a parser that copies the rest of the text at every marker does."""
    def quadratic(text: str) -> int:
        return sum(len(text[i:]) for i in range(0, len(text), 7))

    text, four_times = SHAPES["scan_note"](N), SHAPES["scan_note"](4 * N)
    assert best_cpu(quadratic, four_times) >= GROWTH_BOUND * best_cpu(quadratic, text) + TIMER_SLACK


def test_the_automation_gate_on_every_group_text_is_cheap():
    """could_trigger runs on every group text, even with vote-kick off (it parses the kick command)."""
    from drivers.types import MessageEvent, MessageKind
    from wechat.automation.handlers import could_trigger

    current = {"relay_sets": [], "group_patterns": [], "mp_forwarding": []}
    for shape, text in HOSTILE_TEXTS.items():
        event = MessageEvent("1", MessageKind.TEXT, "g1", "m1", True, text=text)
        spent, triggered = cpu(could_trigger, event, current, "group")
        assert spent < CPU_BOUND and not triggered, shape


def test_commands_keep_working():
    assert parse_kick("kick @a   b") == "a   b"
    assert parse_kick("  踢出\u2005@张三\u2005") == "张三"
    assert parse_kick("t@x") == "x"
    assert parse_kick("kick @" + " " * 10) is None
    assert parse_kick("kick @a" + " " * MAX_MATCHED_CHARS + "b") is None  # longer than any command
    assert joined_names('"a"邀请"b"、"c"加入了群聊') == ["b", "c"]


def plugin(name, **attributes):
    return spec_from_object(type(name, (), {"name": name, "main": staticmethod(lambda msg: None), **attributes}),
                            "test")


@pytest.mark.parametrize("text", [" " * N + "x", "@a " * (N // 3) + "x", "a" * N + "!"])
def test_plugin_patterns_share_one_time_budget(text):
    from plugins.help import HelpPlugin

    plugins = [spec_from_object(HelpPlugin, "plugins.help"),
               plugin("slow", patterns=[r"(a+)+$", r"(\s*)*x!"], exclusive=True),
               plugin("lazy", patterns=[r"^(?:@\S+\s+)*(?:help)\s*$", r".*.*.*=.*"])]
    view = MessageView(text=text, msg_type="Text")
    spent, _ = cpu(select_plugins, plugins, view)
    assert spent < CPU_BOUND, spent


def test_plugin_patterns_still_match():
    plugins = [plugin("echo", patterns=["^echo "]), plugin("other", patterns=["zzz"])]
    assert [p.name for p in select_plugins(plugins, MessageView(text="Echo hi", msg_type="Text"))] == ["echo"]


def test_a_spent_budget_matches_nothing_more():
    budget = Budget(0.0)
    assert not budget.any([plugin("p", patterns="x").patterns[0]], "x")
    assert budget.exhausted


def test_autoreply_regex_rules_see_the_capped_text():
    rules = [autoreply.Rule(id=1, mode="regex", pattern=r"hello.*world", reply="hi"),
             autoreply.Rule(id=2, mode="contains", pattern="world" * 10, reply="hi")]
    incoming = autoreply.Incoming(text="hello " * (N // 6), in_group=False)
    spent, rule = cpu(autoreply.first_match, rules, incoming)
    assert spent < CPU_BOUND and rule is None, spent
    assert autoreply.first_match(rules, autoreply.Incoming(text="hello big world", in_group=False)).id == 1


def raw_message(msg_type, content, **fields):
    return {"MsgType": msg_type, "Content": content, "FromUserName": "@friend", "ToUserName": "@me",
            "Url": "", "AppMsgType": 0, "NewMsgId": 1, "MsgId": "1", "FileName": "", **fields}


def itchat_produce_msg():
    from drivers.itchat import compat as wx_compat

    wx_compat.apply()
    from itchat.components.messages import produce_msg

    return produce_msg


@pytest.mark.parametrize("raw", [
    raw_message(1, "(" * N, Url="https://map.example/x"),
    raw_message(1, "a" * N, Url="https://map.example/x"),
    raw_message(49, "[CDATA[" * (N // 7), AppMsgType=2000),
    raw_message(49, "[CDATA[a]" + " " * N, AppMsgType=2000),
    raw_message(10002, "[CDATA[" * (N // 7)),
    raw_message(1, "(" * N),
    raw_message(10000, '"a"邀请"' * (N // 6)),
], ids=["map_parens", "map_plain", "transfer_cdata", "transfer_spaces", "recall_cdata", "text_parens", "note"])
def test_itchat_parsing_of_hostile_content_is_bounded(raw):
    produce = guarded(itchat_produce_msg())
    spent, produced = cpu(produce, None, [raw])
    assert spent < CPU_BOUND, spent
    assert len(produced) == 1 and produced[0]["Type"] in ("Map", "Note", "Text")


@pytest.mark.parametrize("raw", [
    raw_message(1, "广州塔 (海珠区):<br/>/cgi-bin/x", Url="https://map.example/x"),
    raw_message(1, "nowhere", Url="https://map.example/x"),
    raw_message(49, "<![CDATA[a]]><x/><![CDATA[收到转账1.00元。如需]]>", AppMsgType=2000),
    raw_message(10002, "<sysmsg><![CDATA[\\\"x\\\" 撤回了一条消息]]></sysmsg>"),
    raw_message(10002, "no cdata"),
    raw_message(1, "hello"),
])
def test_guarded_parsing_gives_what_itchat_gives(raw):
    original = itchat_produce_msg()
    assert guarded(original)(None, [dict(raw)]) == original(None, [dict(raw)])


def test_appmsg_xml_is_parsed_safely_and_capped():
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            "<msg><appmsg><mmreader><category><item><title>&b;</title></item></category></mmreader></appmsg></msg>")
    assert parse_xml(bomb) is None
    assert parse_xml('<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>') is None
    huge = "<msg>" + "<b>" * N + "</msg>"
    spent, parsed = cpu(parse_xml, huge)
    assert parsed is None and spent < CPU_BOUND
    push = ("<msg><appmsg><mmreader><category><item><title>One &amp; two</title><url>https://mp.example/1</url>"
            "</item><item><title>Three</title><url>https://mp.example/3</url></item></category></mmreader>"
            "</appmsg></msg>")
    assert mp_articles(push) == [("One & two", "https://mp.example/1"), ("Three", "https://mp.example/3")]
    assert mp_articles("not xml") == []
