"""Regenerate the README screenshots (docs/screenshots/*.png) from the sandbox demo.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--lang zh_CN|en]

Starts its own stack in a temporary folder (the sandbox, a Redis server, a Celery worker and the web app on free
ports, like the browser tests), logs the bot in by a sandbox scan, syncs, lets a few people talk, and photographs
the pages in the system Chromium. Nothing of the developer's own instance is touched.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from app import create_app  # noqa: E402
from extensions import db  # noqa: E402
from models.admin import AdminUser  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WORLD, LiveServer  # noqa: E402
from tests.browser.test_dashboard import png_bytes  # noqa: E402
from tests.fixtures.processes import RedisServer, start_worker, wait_for  # noqa: E402
from tests.fixtures.sandbox import start_sandbox, stop_sandbox  # noqa: E402

PASSWORD = "screenshots-only"
DESKTOP = {"width": 1280, "height": 820}
PHONE = {"width": 390, "height": 844}

DEMO_WORLD = {
    **WORLD,
    "explicit_friends": ["张三", "李四", "王五", "Alice 🌸", "赵敏", "周芷若"],
    "explicit_groups": [
        {"name": "Python 交流群 1", "members": ["张三", "李四", "王五", "赵敏", "Alice 🌸", "周芷若"], "owner": "self",
         "saved": True},  # saved to contacts, as an operator does with the groups the bot runs
        {"name": "周末爬山小分队 ⛰", "members": ["李四", "王五", "赵敏"], "owner": "李四", "saved": True},
    ],
}


def build_app(folder: Path, redis_url: str):
    instance = folder / "instance"
    config = {"SECRET_KEY": "screenshots", "REDIS_URL": redis_url,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}", "LISTENER_HEARTBEAT": 0.5}
    app = create_app(config, instance_path=str(instance))
    with app.app_context():
        upgrade()
        admin = AdminUser(username="admin")
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.commit()
    env = {"REDIS_URL": redis_url, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "screenshots",
           "INSTANCE_PATH": str(instance), "LISTENER_LEASE_TTL": "4", "LISTENER_HEARTBEAT": "0.5",
           "SEND_DELAY_MIN": "0.05", "SEND_DELAY_MAX": "0.1"}
    return app, env


def talk(sandbox) -> None:
    """A little conversation so the archive, the chart and the unread badge have something to show."""
    lines = [("张三", "Python 交流群 1", "大家好！今晚 8 点线上分享 asyncio，欢迎来听 🎉"),
             ("李四", "Python 交流群 1", "收到，我把上次的 slides 发群里"),
             ("赵敏", "周末爬山小分队 ⛰", "周六早上 7 点地铁站集合，别迟到哦"),
             ("王五", None, "你好，想加入 Python 群，关键词是 python 吗？")]
    for sender, group, text in lines:
        body = {"from": sender, "type": "text", "content": text}
        if group:
            body["group"] = group
        sandbox.control("messages", body)
    sandbox.control("messages", {"from": "Alice 🌸", "group": "Python 交流群 1", "type": "picture"})
    sandbox.control("messages", {"from": "李四", "group": "Python 交流群 1", "type": "file",
                                 "file_name": "asyncio-分享.pdf", "size": 348_000})
    sandbox.control("messages", {"from": "赵敏", "group": "Python 交流群 1", "type": "sharing",
                                 "content": "Python 3.13 有哪些新特性", "url": "https://docs.python.org/3/whatsnew/"})
    sandbox.control("messages", {"from": "张三", "group": "Python 交流群 1", "type": "text",
                                 "content": "@李四 slides 收到了，谢谢 🙏"})


def shoot(page, out: Path, name: str, full_page: bool = False, toasts: bool = True) -> None:
    page.wait_for_timeout(600)  # let fades and live updates settle
    if not toasts:  # "saved" toasts of the set-up would cover the page
        page.evaluate("document.querySelectorAll('#toasts .toast').forEach((node) => node.remove())")
    page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)
    print(f"  {out / name}.png")


def pick(root, name: str | None = None) -> None:
    """Choose in a picker (static/js/picker.js): the option named `name`, or the first one."""
    box = root.get_by_role("combobox")
    if name:
        box.fill(name)
    else:
        box.click()
    option = root.locator(".picker-option", has_text=name) if name else root.locator(".picker-option")
    option.first.click()


def automation(page, url: str) -> None:
    """Group creators, an MP forwarded into a group and a relay set, chosen with the pickers."""
    page.goto(f"{url}/automation")
    expect(page.locator("#automation")).to_be_visible(timeout=15000)
    page.fill("#a-welcome_text", "欢迎 {name} 加入 🎉 请先看群公告")
    for name in ("张三", "李四"):
        pick(page.locator("#a-group_creators"), name)
    page.locator("#group_patterns").get_by_role("button").last.click()
    row = page.locator("#group_patterns .editor-row").last
    row.locator("input").nth(0).fill("python")
    row.locator("input").nth(1).fill("Python 交流群 {}")
    page.locator("#mp_forwarding").get_by_role("button").last.click()
    pickers = page.locator("#mp_forwarding .picker-row").last.locator(".picker")
    pick(pickers.nth(0))
    pick(pickers.nth(1), "Python 交流群 1")
    page.locator("#relay_sets").get_by_role("button").last.click()
    relay = page.locator("#relay_sets .picker-row").last.locator(".picker")
    for name in ("Python 交流群 1", "周末爬山小分队"):
        pick(relay, name)
    page.locator("#automation-save").click()
    expect(page.locator(".toast").first).to_be_visible()
    page.reload()
    expect(page.locator("#a-group_creators .chip")).to_have_count(2, timeout=15000)
    page.mouse.move(0, 0)


def plugins(page, url: str) -> None:
    """Two auto-reply rules; the plugin list with the llm plugin's settings open."""
    page.goto(f"{url}/plugins")
    page.get_by_role("tab", name=re.compile("自动回复|Auto-replies")).click()
    form = page.locator("#rule-form")
    for mode, pattern, reply, scope in [("contains", "营业时间", "每天 9:00-18:00，周末休息 ☕", "friends"),
                                        ("regex", r"^(python|py)\s*群$", "回复 python 即可收到入群邀请 🐍", "all")]:
        form.locator("#r-mode").select_option(mode)
        form.locator("#r-pattern").fill(pattern)
        form.locator("#r-reply").fill(reply)
        form.locator("#r-scope").select_option(scope)
        form.locator("#rule-save").click()
        expect(page.locator("#rules .chat-row", has_text=pattern)).to_be_visible()
    page.get_by_role("tab", name=re.compile("插件|Plugins")).click()
    llm = page.locator("[data-plugin=llm]")
    llm.locator("summary").click()
    llm.locator("#p-llm-s-base_url").fill("https://api.example.com/v1")
    llm.locator("#p-llm-s-api_key").fill("sk-demo-not-a-real-key-1234")
    llm.locator("button[type=submit]").click()
    expect(page.locator(".toast").first).to_be_visible()
    page.reload()
    page.locator("[data-plugin=llm] summary").click()
    page.wait_for_timeout(300)


def schedules(page, url: str) -> None:
    """A recurring schedule to a group and a friend, and a one-off with an image."""
    page.goto(f"{url}/schedules")
    for name, cron, text, recipients, image in [
            ("晨会提醒", "0 9 * * 1-5", "9 点晨会，别迟到 ⏰", ("张三", "Python 交流群 1"), False),
            ("周六爬山", None, "周六早上 7 点地铁站集合，路线图见图 ⛰", ("周末爬山小分队",), True)]:
        page.locator("#schedule-new").click()
        form = page.locator("#schedule-form")
        form.locator("#s-name").fill(name)
        if cron:
            form.locator("#s-cron").fill(cron)
        else:
            form.locator("#s-kind-once").check()
        form.locator("#s-text").fill(text)
        for recipient in recipients:
            group = recipient != "张三"
            page.locator("#s-tab-groups" if group else "#s-tab-contacts").click()
            pane = page.locator("#s-pane-groups" if group else "#s-pane-contacts")
            pane.get_by_role("searchbox").fill(recipient)
            pane.locator(".chat-row", has_text=recipient).first.get_by_role("checkbox").check()
        if image:
            page.set_input_files("#s-files", files=[{"name": "路线图.png", "mimeType": "image/png",
                                                     "buffer": png_bytes(64, 48)}])
            expect(page.locator("#s-attachments .attachment[data-upload-id]")).to_have_count(1, timeout=15000)
        form.locator("#schedule-save").click()
        expect(page.locator("#schedules .chat-row", has_text=name)).to_be_visible()
    page.locator("#schedules .chat-row").first.get_by_role("button", name=re.compile("发送记录|History")).click()
    page.wait_for_timeout(300)


def conversations(browser, context, url: str, out: Path) -> None:
    """The Conversations page in both languages, at desktop and phone size: a group with a reply sent from it."""
    group = "Python 交流群 1"
    for lang, suffix in (("zh_CN", ""), ("en", "-en")):
        context.add_cookies([{"name": "lang", "value": lang, "url": url}])
        page = context.new_page()
        page.goto(f"{url}/chats")
        page.locator(".convo-row", has_text=group).locator("button").click()
        expect(page.locator("#message-list .msg").first).to_be_visible(timeout=30000)
        if not suffix:  # one reply, through the send path, so the pane shows an answered chat
            page.locator("#composer-text").fill("好的，今晚见 👍")
            page.locator("#composer-text").press("Enter")
            expect(page.locator("#history .msg.is-pending[data-status=sent]")).to_be_visible(timeout=30000)
        page.mouse.move(0, 0)
        shoot(page, out, f"conversations{suffix}")
        page.close()
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                    storage_state=context.storage_state())
        mobile = phone.new_page()
        mobile.goto(f"{url}/chats")
        expect(mobile.locator(".convo-row").first).to_be_visible(timeout=30000)
        shoot(mobile, out, f"phone-chats{suffix}")
        mobile.locator(".convo-row", has_text=group).locator("button").click()
        expect(mobile.locator("#message-list .msg").first).to_be_visible(timeout=30000)
        shoot(mobile, out, f"phone-conversation{suffix}")
        phone.close()


def insights_history(sandbox) -> None:
    """Two weeks of a group's life, dated in the past through the sandbox's create_time: joins, a removal, talk."""
    import random
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    rng = random.Random(20)
    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    group = "Python 交流群 1"
    joins = {12: ["赵敏"], 9: ["周芷若", "Alice 🌸"], 4: ["王五"], 1: ["李四"]}
    for days_ago, names in joins.items():
        at = today - timedelta(days=days_ago, hours=-10)
        sandbox.control("messages", {"group": group, "type": "system", "create_time": int(at.timestamp()),
                                     "content": '"张三"邀请"' + '"、"'.join(names) + '"加入了群聊'})
    sandbox.control("messages", {"group": group, "type": "system", "content": '你将"路人甲"移出了群聊',
                                 "create_time": int((today - timedelta(days=6, hours=-15)).timestamp())})
    speakers = ["张三", "张三", "张三", "李四", "李四", "王五", "Alice 🌸"]
    for days_ago in range(14):
        for _ in range(rng.randint(1, 4)):
            hour = rng.choice([9, 10, 12, 13, 20, 21, 22])
            at = today - timedelta(days=days_ago, hours=-hour, minutes=-rng.randrange(60))
            sandbox.control("messages", {"group": group, "from": rng.choice(speakers), "type": "text",
                                         "content": "今天的分享很有收获 👍", "create_time": int(at.timestamp())})


def insights(page, url: str, out: Path, browser, context, suffix: str) -> None:
    """The insights of one group (desktop, phone) and all groups compared."""
    page.goto(f"{url}/insights")
    page.locator("#insight-group").select_option(label="Python 交流群 1")
    expect(page.locator("#days-table tr[data-date]").first).to_be_visible(timeout=20000)
    shoot(page, out, f"insights{suffix}", full_page=True)
    page.locator("#insight-group").select_option(value="")
    expect(page.locator("#compare-table tr[data-puid]").first).to_be_visible(timeout=20000)
    shoot(page, out, f"insights-compare{suffix}")
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                storage_state=context.storage_state())
    mobile = phone.new_page()
    mobile.goto(f"{url}/insights")
    mobile.locator("#insight-group").select_option(label="Python 交流群 1")
    expect(mobile.locator("#days-table tr[data-date]").first).to_be_visible(timeout=20000)
    shoot(mobile, out, f"phone-insights{suffix}")
    phone.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--only", choices=["insights"],
                        help="only the insights pages (named with -en in English) and the overview")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="wechat-admin-shots-"))
    sandbox = start_sandbox()
    redis = RedisServer(folder / "redis").start()
    worker = None
    try:
        sandbox.reset(**DEMO_WORLD)
        app, env = build_app(folder, redis.url)
        worker = start_worker({**env, "WECHAT_BASE_URL": sandbox.base_url}, folder / "worker.log")
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                          device_scale_factor=1)
            context.add_cookies([{"name": "lang", "value": args.lang, "url": server.url}])
            page = context.new_page()
            page.goto(f"{server.url}/login")
            shoot(page, out, "login")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server.url}/chats")

            page.goto(f"{server.url}/wechat")
            expect(page.locator("#qr-image")).to_be_visible(timeout=60000)
            shoot(page, out, "wechat-login")
            sandbox.scan(confirm=True)
            expect(page.locator("#login-state")).to_have_attribute("data-state", "logged_in", timeout=60000)

            page.goto(f"{server.url}/contacts")
            page.locator("[data-sync=all]").click()
            expect(page.locator(".chat-row", has_text="张三").first).to_be_visible(timeout=60000)
            talk(sandbox)
            insights_history(sandbox)
            time.sleep(3)
            if args.only == "insights":  # with the overview, whose chart is drawn by the same chart module
                if args.lang == "zh_CN":
                    page.goto(f"{server.url}/")
                    expect(page.locator("#chart canvas")).to_have_count(1, timeout=20000)
                    shoot(page, out, "overview")
                insights(page, server.url, out, browser, context, "-en" if args.lang == "en" else "")
                browser.close()
                return 0
            page.reload()
            expect(page.locator(".chat-row").first).to_be_visible()
            page.locator(".chat-row").nth(1).get_by_role("checkbox").check()
            page.locator(".chat-row").nth(2).get_by_role("checkbox").check()
            shoot(page, out, "contacts")

            page.goto(f"{server.url}/groups")
            page.locator("#groups .chat-row .row-title-button", has_text="Python 交流群 1").click()
            expect(page.locator("#members .chat-row").first).to_be_visible(timeout=30000)
            shoot(page, out, "groups")

            page.goto(f"{server.url}/messages")
            expect(page.locator("#messages .message").first).to_be_visible(timeout=30000)
            shoot(page, out, "messages")

            page.goto(f"{server.url}/send")
            contacts = page.locator("#pane-contacts")
            for name in ("张三", "李四"):
                contacts.get_by_role("searchbox").fill(name)
                contacts.locator(".chat-row", has_text=name).first.get_by_role("checkbox").check()
            contacts.get_by_role("searchbox").fill("")
            page.fill("#send-text", "周六爬山，报名请回复 1 ⛰")
            page.set_input_files("#send-files", files=[{"name": "路线图.png", "mimeType": "image/png",
                                                        "buffer": png_bytes(64, 48)}])
            expect(page.locator("#attachments .attachment[data-upload-id]")).to_have_count(1, timeout=15000)
            page.locator("#send-button").click()
            expect(page.locator("#job")).to_have_attribute("data-status", "done", timeout=60000)
            shoot(page, out, "send")

            page.goto(f"{server.url}/")
            wait_for(lambda: page.locator("#chart canvas").count() or page.locator("#chart .empty-state").count(), 20,
                     what="the chart")
            shoot(page, out, "overview")
            insights(page, server.url, out, browser, context, "-en" if args.lang == "en" else "")

            automation(page, server.url)
            page.evaluate("window.scrollTo(0, 300)")  # the pickers: creators on the left, forwarding on the right
            shoot(page, out, "automation", toasts=False)

            plugins(page, server.url)
            shoot(page, out, "plugins", full_page=True, toasts=False)
            page.get_by_role("tab", name=re.compile("自动回复|Auto-replies")).click()
            page.locator("#rules .chat-row").first.get_by_role("button", name=re.compile("编辑|Edit")).click()
            shoot(page, out, "autoreplies", toasts=False)

            schedules(page, server.url)
            shoot(page, out, "schedules", toasts=False)
            page.locator("#schedules .chat-row").first.get_by_role("button", name=re.compile("编辑|Edit")).click()
            expect(page.locator("#s-to .chip")).to_have_count(2)
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, out, "schedule-editor", toasts=False)

            phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                        storage_state=context.storage_state())
            mobile = phone.new_page()
            mobile.goto(f"{server.url}/messages")
            expect(mobile.locator("#messages .message").first).to_be_visible(timeout=30000)
            shoot(mobile, out, "phone-messages")
            conversations(browser, context, server.url, out)
            browser.close()
    finally:
        if worker is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)
        redis.stop()
        stop_sandbox(sandbox)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
