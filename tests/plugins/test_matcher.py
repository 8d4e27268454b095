"""Which plugins a message goes to: patterns, exclusive, exclude, types, chats, self, invite keywords."""

import re

from hypothesis import given
from hypothesis import strategies as st

from wechat.plugins.handler import is_invite_keyword
from wechat.plugins.matcher import MessageView, chat_fits, select_plugins
from wechat.plugins.spec import compile_patterns, spec_from_object


class Friend:
    puid = "f1"


class Group:
    puid = "g1"


def plugin(name, **attributes):
    return spec_from_object(type(name, (), {"name": name, "main": staticmethod(lambda msg: None), **attributes}),
                            "test")


def names(plugins, text, msg_type="Text", chat=None, is_self=False, keyword=False):
    view = MessageView(text=text, msg_type=msg_type, chat=chat or Friend(), is_self=is_self)
    return [p.name for p in select_plugins(plugins, view, keyword)]


def test_a_pattern_string_is_one_regex_not_characters():
    echo = plugin("echo", patterns="^echo ")
    assert [p.pattern for p in echo.patterns] == ["^echo "]
    assert names([echo], "echo hi") == ["echo"]
    assert names([echo], "he said echo") == []
    assert names([echo], "o") == []  # a character-split pattern list would have matched "o"


def test_patterns_are_whole_regexes_matched_in_lower_case_text():
    tuling = plugin("tuling", patterns=["@Python之美"])
    assert names([tuling], "@Python之美\u2005你好") == ["tuling"]
    numbers = plugin("numbers", patterns=[r"^\d{3}$", re.compile("^x+$")])
    assert names([numbers], "123") == ["numbers"]
    assert names([numbers], "1234") == []
    assert names([numbers], "XX") == ["numbers"]


def test_no_patterns_means_every_message():
    assert names([plugin("all")], "anything") == ["all"]
    assert names([plugin("all", patterns=[])], "") == ["all"]


def test_exclusive_applies_from_the_first_message():
    helper = plugin("help", patterns=["^help$"], exclusive=True)
    chat = plugin("chat")
    assert names([chat, helper], "help") == ["help"]
    assert names([chat, helper], "hello") == ["chat"]


def test_exclusive_claims_only_when_its_own_pattern_matches_and_two_exclusives_can_share():
    a = plugin("a", patterns=["^go"], exclusive=True)
    b = plugin("b", patterns=["go$"], exclusive=True)
    other = plugin("other")
    assert names([a, b, other], "go") == ["a", "b"]
    assert names([a, b, other], "go now") == ["a"]
    assert names([a, b, other], "stop") == ["other"]


def test_exclude_patterns_types_chats_and_self():
    p = plugin("p", exclude_patterns=["secret"], msg_types=["Text", "picture"], chats=Group)
    assert names([p], "hello", chat=Group()) == ["p"]
    assert names([p], "a SECRET", chat=Group()) == []
    assert names([p], "hello", chat=Friend()) == []
    assert names([p], "x.png", msg_type="Picture", chat=Group()) == ["p"]
    assert names([p], "hello", msg_type="Recording", chat=Group()) == []
    assert names([p], "hello", chat=Group(), is_self=True) == []
    own = plugin("own", except_self=False)
    assert names([own], "hello", is_self=True) == ["own"]


def test_chats_may_be_classes_objects_or_puids():
    group = Group()
    assert chat_fits(group, (Group,)) and chat_fits(group, (group,)) and chat_fits(group, ("g1",))
    assert not chat_fits(group, (Friend, "f1"))
    assert chat_fits(group, None)


def test_group_invite_keywords_go_to_no_plugin():
    patterns = [["python", "Python✌{}群"]]
    assert is_invite_keyword(" PYTHON ", "Text", patterns)
    assert not is_invite_keyword("python 3.12", "Text", patterns)
    assert is_invite_keyword("我想加入python群", "Friends", patterns)
    assert names([plugin("all")], "python", keyword=True) == []


@given(st.text(max_size=30))
def test_an_exclusive_match_never_lets_a_non_exclusive_plugin_run(text):
    helper = plugin("help", patterns=["h"], exclusive=True)
    chosen = names([plugin("x"), helper, plugin("y", patterns=["."])], text)
    if "h" in text.lower():
        assert chosen == ["help"]
    else:
        assert "help" not in chosen


def test_compile_patterns_rejects_bad_regexes():
    import pytest

    from wechat.plugins.spec import PluginInvalid

    with pytest.raises(PluginInvalid, match="bad regex"):
        compile_patterns(["(unclosed"])
    with pytest.raises(PluginInvalid):
        compile_patterns(42)
