"""Plugins end to end: the sandbox, a real worker holding unmodified wxpy, settings over the API."""

from __future__ import annotations

import os
import time

import pytest

from tests.fixtures.processes import wait_for
from tests.plugins.conftest import COMMUNITY
from tests.plugins.fake_llm import FakeLLM
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration

FRIEND = "小明"
LONG = "a" * 58 + "b"  # makes "(a|aa)+$" backtrack for ages
GROUP_A, GROUP_B = "技术群", "闲聊群"


def live(stack, **env):
    stack.sandbox.reset(friends=0, groups=0, mps=0, explicit_friends=[FRIEND, "小红"], explicit_groups=[
        {"name": GROUP_A, "members": ["小红", "老王"], "owner": "self"},
        {"name": GROUP_B, "members": ["老王"], "owner": "self"},
    ])
    # The web app in this process reads these settings too (validation); the worker gets them in its environment.
    stack.app.config.update({key: value for key, value in env.items()
                             if key in ("PLUGIN_PATHS", "OUTBOUND_ALLOW_HOSTS", "OUTBOUND_ALLOW_NETS")})
    stack.start_worker(PLUGIN_TIME_LIMIT="2", **env)
    stack.log_in()
    return stack.sandbox.state()["account"]["nick_name"]


def say(stack, text, group=None, sender=FRIEND):
    body = {"from": sender, "type": "text", "content": text}
    if group:
        body["group"] = group
    stack.sandbox.control("messages", body)


def texts_to(stack, seq, to):
    return [e["content"] for e in stack.sandbox.sent(seq) if e["kind"] == "text" and e["to"] == to]


def reply(stack, seq, to, predicate=lambda text: True, timeout=20):
    return wait_for(lambda: [t for t in texts_to(stack, seq, to) if predicate(t)], timeout,
                    what=f"a reply to {to}")[0]


def put_plugin(stack, name, **body):
    response = stack.api("PUT", f"/api/plugins/{name}", json=body)
    assert response.status_code == 200, response.json
    return response.json["item"]


def plugins(stack):
    return {item["name"]: item for item in stack.api("GET", "/api/plugins").json["items"]}


def chat_puids(stack):
    chats = wait_for(lambda: (r := stack.api("GET", "/api/wechat/chats")).status_code == 200 and r.json, 15,
                     what="the chat list")
    return {item["name"]: item["puid"] for kind in ("friends", "groups") for item in chats[kind]}


def test_community_and_entry_point_plugins_help_and_failures(stack, entry_point_site, monkeypatch):
    monkeypatch.syspath_prepend(str(entry_point_site))  # the API (this process) lists the entry-point plugin too
    bot_name = live(stack, PLUGIN_PATHS=str(COMMUNITY),
                    PYTHONPATH=os.pathsep.join(filter(None, [str(entry_point_site), os.environ.get("PYTHONPATH")])))
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "echo 你好 world")
    say(stack, "ping")
    echoed = reply(stack, seq, FRIEND, lambda t: t.startswith("echo:"))
    assert echoed == f"echo: 你好 world | from {FRIEND} | chat {FRIEND} | type Text | bot {bot_name}"
    assert reply(stack, seq, FRIEND, lambda t: t == "pong")

    say(stack, "echo 群里", group=GROUP_A, sender="小红")
    # wxpy: in a group, msg.sender is the group itself (msg.member is the person)
    assert reply(stack, seq, GROUP_A).startswith("echo: 群里 | from 技术群 | chat 技术群 | type Text")

    # help is exclusive: only it answers "help", listing the enabled plugins (llm is off by default).
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "help")
    helped = reply(stack, seq, FRIEND)
    assert all(f"• {name}:" in helped for name in ("help", "autoreply", "EchoPlugin", "ping"))
    assert "• llm:" not in helped

    # A crashing plugin and a hanging synchronous one are reported; the next message is still answered at once.
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "boom")
    say(stack, "hang")
    started = time.monotonic()
    say(stack, "echo still here")
    reply(stack, seq, FRIEND, lambda t: t.startswith("echo: still here"))
    assert time.monotonic() - started < 10
    state = wait_for(lambda: (p := plugins(stack))["SlothPlugin"]["last_error"] and p, 10, what="the hang report")
    assert state["BoomPlugin"]["last_error"] == "RuntimeError: kaboom" and state["BoomPlugin"]["last_error_at"]
    assert "2s" in state["SlothPlugin"]["last_error"]
    assert state["ping"]["source"].startswith("entry point ping")
    assert texts_to(stack, seq, FRIEND) == ["echo: still here | from 小明 | chat 小明 | type Text | bot " + bot_name]

    # Switched off in the dashboard: no answer any more.
    put_plugin(stack, "EchoPlugin", enabled=False)
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "echo gone")
    say(stack, "ping")
    reply(stack, seq, FRIEND, lambda t: t == "pong")
    time.sleep(1)
    assert texts_to(stack, seq, FRIEND) == ["pong"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_auto_reply_answers_a_friend_and_a_group(stack):
    """The product's plugin path on either driver: a friend rule and a group rule answer, once each."""
    live(stack)
    for position, rule in enumerate([{"mode": "exact", "pattern": "价格", "reply": "99元", "scope": "friends"},
                                     {"mode": "contains", "pattern": "早安", "reply": "早安☀️", "scope": "groups",
                                      "require_at": False}]):
        assert stack.api("POST", "/api/autoreplies", json={**rule, "position": position}).status_code == 201
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "价格")
    say(stack, "大家早安", group=GROUP_B, sender="老王")
    assert reply(stack, seq, FRIEND) == "99元"
    assert reply(stack, seq, GROUP_B) == "早安☀️"
    time.sleep(1)
    assert texts_to(stack, seq, FRIEND) == ["99元"] and texts_to(stack, seq, GROUP_B) == ["早安☀️"]


def test_autoreply_modes_scopes_and_the_llm_plugin(stack):
    bot_name = live(stack, OUTBOUND_ALLOW_HOSTS="127.0.0.1")  # the fake model listens on loopback
    at = f"@{bot_name}\u2005"
    puids = chat_puids(stack)
    rules = [
        {"mode": "exact", "pattern": "价格", "reply": "99元", "scope": "friends"},
        {"mode": "contains", "pattern": "地址", "reply": "北京", "scope": "all"},
        {"mode": "regex", "pattern": r"^订单\d+$", "reply": "订单已收到", "scope": "chosen",
         "group_puids": [puids[GROUP_A]]},
        {"mode": "contains", "pattern": "早安", "reply": "早安☀️", "scope": "groups", "require_at": False},
        {"mode": "regex", "pattern": r"(a|aa)+$", "reply": "never", "scope": "friends"},
        {"mode": "exact", "pattern": LONG, "reply": "长串", "scope": "friends"},
    ]
    for position, rule in enumerate(rules):
        response = stack.api("POST", "/api/autoreplies", json={**rule, "position": position})
        assert response.status_code == 201, response.json

    seq = stack.sandbox.state()["sent_count"]
    say(stack, "价格多少")  # exact: no
    say(stack, "价格")
    say(stack, LONG)  # the catastrophic regex times out; the next rule answers
    say(stack, "请问地址")
    # Plugins run concurrently (run_async), so replies to different messages may come in any order.
    wait_for(lambda: len(texts_to(stack, seq, FRIEND)) >= 3, 20, what="three replies")
    assert sorted(texts_to(stack, seq, FRIEND)) == sorted(["99元", "长串", "北京"])

    say(stack, "价格", group=GROUP_A, sender="小红")  # friends only
    say(stack, "地址？", group=GROUP_A, sender="小红")  # not @-mentioned
    say(stack, f"{at}订单123", group=GROUP_B, sender="老王")  # not a chosen group
    say(stack, f"{at}订单123", group=GROUP_A, sender="小红")
    say(stack, f"{at}地址在哪", group=GROUP_B, sender="老王")
    say(stack, "大家早安", group=GROUP_B, sender="老王")  # require_at off
    wait_for(lambda: len(texts_to(stack, seq, GROUP_B)) >= 2, 20, what="two replies in 闲聊群")
    reply(stack, seq, GROUP_A)
    time.sleep(1)
    assert texts_to(stack, seq, GROUP_A) == ["订单已收到"]
    assert sorted(texts_to(stack, seq, GROUP_B)) == sorted(["北京", "早安☀️"])
    assert "timed out" in plugins(stack)["autoreply"]["last_error"]

    with FakeLLM() as llm:
        item = put_plugin(stack, "llm", enabled=True, settings={
            "base_url": llm.base_url, "api_key": "sk-test-key-123456", "model": "tiny", "timeout": 1.0,
            "rate_limit_per_minute": 3, "memory_turns": 2, "fallback_text": "稍后再试"})
        assert item["settings"]["api_key"] == "****3456"
        seq = stack.sandbox.state()["sent_count"]
        say(stack, "你好")
        assert reply(stack, seq, FRIEND) == "第2条: 你好"  # system + question
        say(stack, "价格")  # an auto-reply rule answers; the model is not asked
        say(stack, "再说一次")
        assert reply(stack, seq, FRIEND, lambda t: t.startswith("第4条")) == "第4条: 再说一次"  # remembers 1 turn
        wait_for(lambda: len(texts_to(stack, seq, FRIEND)) >= 3, 10, what="the auto-reply")
        assert sorted(texts_to(stack, seq, FRIEND)) == sorted(["第2条: 你好", "99元", "第4条: 再说一次"])
        assert llm.requests[0]["auth"] == "Bearer sk-test-key-123456" and llm.requests[0]["body"]["model"] == "tiny"
        assert llm.requests[0]["path"] == "/v1/chat/completions"

        # Groups: only when @-mentioned; the speaker's name goes with the question.
        say(stack, "不@我的话", group=GROUP_A, sender="小红")
        say(stack, f"{at}你是谁", group=GROUP_A, sender="小红")
        assert reply(stack, seq, GROUP_A) == "第2条: 小红: 你是谁"

        # The endpoint fails: HTTP 500, then a body that is not JSON, then a time-out → the fallback text.
        seq = stack.sandbox.state()["sent_count"]
        for mode in ("error", "bad_json", "slow"):
            llm.mode = mode
            say(stack, f"{at}{mode}", group=GROUP_B, sender="老王")
            wait_for(lambda n=len(texts_to(stack, seq, GROUP_B)): len(texts_to(stack, seq, GROUP_B)) > n, 20,
                     what=f"the fallback after {mode}")
        assert texts_to(stack, seq, GROUP_B) == ["稍后再试"] * 3
        assert "endpoint failed" in plugins(stack)["llm"]["last_error"]

        # Rate limit: 3 per minute per chat (the 3 above used GROUP_B's); a fourth gets no answer.
        llm.mode = "ok"
        asked = len(llm.requests)
        say(stack, f"{at}还在吗", group=GROUP_B, sender="老王")
        time.sleep(2)
        assert len(llm.requests) == asked and texts_to(stack, seq, GROUP_B) == ["稍后再试"] * 3


def greeter(answer: str) -> str:
    return (f"class Greeter:\n    name = 'Greeter'\n    patterns = ['^hello$']\n\n"
            f"    @classmethod\n    def main(cls, msg):\n        return {answer!r}\n\n\n"
            "def export():\n    return Greeter\n")


def test_reloading_picks_up_new_and_edited_folder_plugins_in_the_running_bot(stack, tmp_path):
    """A plugin file dropped into PLUGIN_PATHS and 'Reload plugins': the running worker answers with it, and an
    edit of the file applies after the next reload, without restarting anything."""
    folder = tmp_path / "hot_plugins"
    folder.mkdir()
    live(stack, PLUGIN_PATHS=str(folder))
    assert "Greeter" not in plugins(stack)
    (folder / "greeter.py").write_text(greeter("hi, first version"))
    assert "Greeter" not in plugins(stack)  # loaded once per process until asked

    reloaded = stack.api("POST", "/api/plugins/reload")
    assert reloaded.status_code == 200, reloaded.json
    assert "Greeter" in {item["name"] for item in reloaded.json["items"]}
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "hello")
    assert reply(stack, seq, FRIEND, lambda t: t.startswith("hi,")) == "hi, first version"

    (folder / "greeter.py").write_text(greeter("hi, second version"))
    (folder / "broken.py").write_text("raise ImportError('half-written')\n")
    reloaded = stack.api("POST", "/api/plugins/reload").json
    assert [error["source"] for error in reloaded["load_errors"]] == [str(folder / "broken.py")]
    seq = stack.sandbox.state()["sent_count"]
    say(stack, "hello")
    assert reply(stack, seq, FRIEND, lambda t: t.startswith("hi,")) == "hi, second version"
    audit = stack.api("GET", "/api/audit?action=plugin.reload").json
    assert len([entry for entry in audit["items"] if entry["action"] == "plugin.reload"]) == 2
