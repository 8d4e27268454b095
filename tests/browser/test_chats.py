"""The Conversations page in Chromium, desktop and phone size, against the live stack (sandbox, worker, web):
scroll back through 1,000 archived messages, receive one live, reply with text, an @mention and a file and see
them delivered in the sandbox; hostile names stay text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HOSTILE, OWNED_GROUP
from tests.browser.test_dashboard import no_script_ran
from tests.fixtures.processes import wait_for

HISTORY = 1000


@pytest.fixture(scope="module")
def history(live) -> str:
    """1,000 messages in the bot's own group (through the sandbox, the listener and the archive); its puid."""
    live.ensure_logged_in()
    sandbox = live.stack.sandbox
    sandbox.control("messages", {"from": "张三", "group": OWNED_GROUP, "type": "text", "content": "历史 {n}",
                                 "count": HISTORY})
    sandbox.control("messages", {"from": HOSTILE[0], "type": "text", "content": HOSTILE[1]})

    def archived():
        chats = live.stack.api("GET", "/api/chats").json["items"]
        group = next((c for c in chats if c["last_message"] and c["last_message"]["text"] == f"历史 {HISTORY}"), None)
        return group and any(c["name"] == HOSTILE[0] for c in chats) and group["puid"]

    return wait_for(archived, 60, what="the history archived")


def open_group(page, puid: str):
    row = page.locator(f'.convo-row[data-puid="{puid}"]')
    expect(row).to_be_visible()
    expect(row.locator(".convo-unread")).to_be_visible()  # 1,000 unread
    row.locator("button").click()
    expect(page.locator("#message-list .msg").last).to_contain_text(f"历史 {HISTORY}")
    expect(row.locator(".convo-unread")).to_have_count(0)


def scroll_back_to_the_start(page) -> None:
    history = page.locator("#history")
    top = page.locator("#history-top")
    for _ in range(HISTORY // 50 + 5):
        if top.inner_text() == "已归档记录的开始":
            break
        count = page.locator("#message-list .msg").count()
        history.evaluate("node => { node.scrollTop = 0; node.dispatchEvent(new Event('scroll')); }")
        expect(page.locator("#message-list .msg")).not_to_have_count(count)
    texts = page.locator("#message-list .msg .msg-text").all_inner_texts()
    assert texts[:HISTORY] == [f"历史 {n}" for n in range(1, HISTORY + 1)]  # no gap, no repeat, in order
    expect(page.locator("#message-list .day-separator")).to_have_count(1)


def reply_and_see_it_delivered(page, live, tag: str) -> None:
    sandbox = live.stack.sandbox
    since = max([s["seq"] for s in sandbox.sent()], default=0)
    box = page.locator("#composer-text")
    box.press_sequentially("@")
    expect(page.locator("#mention-panel")).to_be_visible()
    page.locator("#mention-q").fill("李四")
    page.locator(".mention-choice", has_text="李四").click()
    box.press_sequentially(f"你好 {tag} ")
    page.locator("#emoji-button").click()
    page.locator(".emoji-choice").first.click()
    page.set_input_files("#composer-file", files=[{"name": f"议程-{tag}.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4\n% agenda\n"}])
    expect(page.locator("#composer-files .attachment[data-upload-id]")).to_have_count(1, timeout=15000)
    box.press("Enter")
    pending = page.locator("#history .msg.is-pending").last
    expect(pending).to_have_attribute("data-status", "sent", timeout=30000)
    expect(pending.locator(".msg-state")).to_have_text("已发送")

    def delivered():
        sent = sandbox.sent(since)
        texts = [s for s in sent if s["kind"] == "text" and s["to"] == OWNED_GROUP
                 and f"@李四\u2005你好 {tag}" in s.get("content", "")]
        files = [s for s in sent if s["kind"] == "file" and s["to"] == OWNED_GROUP]
        return texts and files

    wait_for(delivered, 20, what="the reply in the sandbox")


def receive_live(page, live, text: str) -> None:
    live.stack.sandbox.control("messages", {"from": "李四", "group": OWNED_GROUP, "type": "text", "content": text})
    message = page.locator("#message-list .msg", has_text=text)
    expect(message).to_be_visible(timeout=20000)
    expect(message.locator(".msg-sender")).to_have_text("李四")


def test_conversation_at_desktop_size(web, live, history):
    page = web.goto("/chats")
    expect(page.locator(".convo-row .convo-name", has_text=HOSTILE[0])).to_be_visible()
    expect(page.locator(".convo-preview", has_text=HOSTILE[1])).to_be_visible()
    open_group(page, history)
    scroll_back_to_the_start(page)
    page.locator("#live-status.is-live").wait_for(state="attached")
    receive_live(page, live, "桌面 实时消息 <i>x</i>")
    expect(page.locator(f'.convo-row[data-puid="{history}"]')).to_be_visible()
    reply_and_see_it_delivered(page, live, "desktop")
    page.goto(f"{live.url}/chats?chat={history}")  # the reply was archived: it is part of the history now
    expect(page.locator("#message-list .msg.is-out .msg-text").last).to_contain_text("你好 desktop")
    expect(page.locator("#message-list .msg.is-out .file-card").last).to_contain_text("议程-desktop.pdf")
    page.locator("#live-status.is-live").wait_for(state="attached")
    # Another chat talks meanwhile: it moves to the top with a badge; opening it clears the badge.
    live.stack.sandbox.control("messages", {"from": "王五", "type": "text", "content": "在吗？"})
    top = page.locator(".convo-row").first
    expect(top).to_contain_text("在吗？", timeout=20000)
    expect(top.locator(".convo-unread")).to_have_text("1")
    top.locator("button").click()
    expect(page.locator("#chat-title")).to_have_text("王五")
    expect(top.locator(".convo-unread")).to_have_count(0)
    no_script_ran(page)


def test_conversation_at_phone_size(phone, live, history):
    page = phone.goto("/chats")
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#nav-menu")).to_be_hidden()
    expect(page.locator("#conversation")).to_be_hidden()
    page.locator("#chat-q").fill("机器人")
    expect(page.locator(".convo-row")).to_have_count(1)
    page.locator("#chat-q").fill("")
    page.locator(f'.convo-row[data-puid="{history}"] button').click()
    expect(page.locator(".convo-pane")).to_be_hidden()
    expect(page.locator("#message-list .msg").last).to_be_visible()
    scroll_back_to_the_start(page)
    page.locator("#live-status.is-live").wait_for(state="attached")
    receive_live(page, live, "手机 实时消息")
    reply_and_see_it_delivered(page, live, "phone")
    page.locator("#chat-back").click()
    expect(page.locator(".convo-pane")).to_be_visible()
    expect(page.locator("#conversation")).to_be_hidden()
    no_script_ran(page)
