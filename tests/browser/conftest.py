"""Browser tests: the dashboard in the system Chromium (Playwright for Python) against a live stack.

The stack is the one the runtime tests use (tests/runtime/conftest.py: the sandbox, our Redis, a migrated SQLite
DB, real Celery worker processes), plus the Flask app served by a real threaded HTTP server, so the browser gets
SSE, cookies, CSRF and the Content-Security-Policy exactly as in production. One stack per module: logging in to
WeChat takes seconds, and the story in test_dashboard.py builds on it.

Chromium comes from Debian (`scripts/install-browser.sh`, run by `make test`); without it these tests skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from extensions import db
from models.admin import AdminUser, ApiToken
from tests.fixtures.processes import free_port, wait_for
from tests.fixtures.sandbox import DEFAULT_WORLD, SandboxServer, sandbox_server  # noqa: F401  (fixture)
from tests.runtime.conftest import Stack

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN = "root"
ADMIN_PASSWORD = "browser-tests-password"

# The world the browser sees: hostile names next to ordinary ones, a group the bot owns (so it may remove members).
HOSTILE = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>", "{{7*7}}${7*7}"]
OWNED_GROUP = "机器人自己的群"
WORLD = {
    **DEFAULT_WORLD,
    "explicit_friends": ["张三", "李四", "王五", *HOSTILE],
    # Saved to contacts (the seeded groups fill webwxinit's three recent chats, so unsaved ones would be unseen).
    "explicit_groups": [{"name": OWNED_GROUP, "members": ["张三", "李四", "王五", "赵六", "钱七"], "owner": "self",
                         "saved": True},
                        {"name": "<b>恶意群名</b>", "members": ["张三", "李四", "路人甲"], "owner": "张三",
                         "saved": True}],
    # The dashboard's member removal is under test here, not web WeChat's refusal of it (tests/runtime covers that).
    "settings": {"member_removal": "allowed"},
}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: run scripts/install-browser.sh (make test does)")
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


class LiveServer:
    """The Flask app on a real threaded server (SSE streams hold a thread each, as under gunicorn a greenlet)."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(10)


@dataclass
class Live:
    stack: Stack
    url: str
    app_routes: set[str] = field(default_factory=set)

    def has_api(self, rule: str) -> bool:
        return rule in self.app_routes

    def ensure_logged_in(self) -> None:
        if self.stack.login_state() != "logged_in":
            self.stack.log_in(timeout=60)


@pytest.fixture(scope="module")
def live(request, sandbox_server: SandboxServer, migrated_db, redis_server, tmp_path_factory  # noqa: F811
         ) -> Iterator[Live]:
    """A stack with one worker and the web app on a real server; the WeChat login is left to the tests.

    Its driver is itchat unless a module asks for another: `pytest.mark.parametrize("live", ["padpro"],
    indirect=True)` (the sandbox serves both faces; tests/runtime/conftest.py DRIVERS). A module may set
    `SANDBOX_WORLD` (the root account's world instead of WORLD) and `WORKER_ENV` (more settings for the worker)."""
    driver = getattr(request, "param", "itchat")
    sandbox_server.reset(**getattr(request.module, "SANDBOX_WORLD", WORLD))
    redis_server.client().flushall()
    folder = tmp_path_factory.mktemp("browser-stack")
    db_path = folder / "stack.db"
    shutil.copy(migrated_db, db_path)
    instance = folder / "instance"
    env = {
        "REDIS_URL": redis_server.url, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "browser-secret",
        "INSTANCE_PATH": str(instance), "WECHAT_BASE_URL": sandbox_server.base_url, "LISTENER_LEASE_TTL": "4",
        "LISTENER_HEARTBEAT": "0.5", "SEND_DELAY_MIN": "0.05", "SEND_DELAY_MAX": "0.1",
        "WECHAT_DRIVER": driver, "PADPRO_BASE_URL": sandbox_server.base_url, "PADPRO_KEY": "sandbox-gateway-key",
    }
    app = create_app({"SECRET_KEY": env["SECRET_KEY"], "REDIS_URL": env["REDIS_URL"],
                      "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "LISTENER_HEARTBEAT": 0.5,
                      "SSE_HEARTBEAT_SECONDS": 5, "WECHAT_DRIVER": driver, "PADPRO_BASE_URL": sandbox_server.base_url,
                      "PADPRO_KEY": env["PADPRO_KEY"]}, instance_path=str(instance))
    with app.app_context():
        admin = AdminUser(username=ADMIN)
        admin.set_password(ADMIN_PASSWORD)
        token, clear = ApiToken.issue(admin, "browser tests")
        db.session.add_all([admin, token])
        db.session.commit()
    stack = Stack(app=app, sandbox=sandbox_server, env=env, folder=folder, token=clear)
    stack.start_worker(**getattr(request.module, "WORKER_ENV", {}))
    try:
        with LiveServer(app) as server:
            wait_for(lambda: stack.client().get("/healthz").status_code == 200, 10, what="web app")
            yield Live(stack, server.url, {rule.rule for rule in app.url_map.iter_rules()})
    finally:
        stack.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# A fetch that answers 4xx/5xx is logged by Chromium as "Failed to load resource"; the pages handle those states
# (e.g. the QR code is polled until it exists). Everything else in the console is a bug: CSP violations, errors.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of (404|409|503)")
# The sign-in page answers a wrong password with 401 and a blocked address with 429, as it should.
EXPECTED_SIGN_IN = re.compile(r"Failed to load resource: the server responded with a status of (401|429)")


@dataclass
class Browsing:
    page: object
    base_url: str
    problems: list[str]

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page


def _new_page(browser, base_url: str, viewport: dict, expected: tuple[re.Pattern, ...] = (EXPECTED_CONSOLE,)):
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") and not any(p.search(msg.text) for p in expected)
            and "net::ERR_ABORTED" not in msg.text else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return context, page, problems


def sign_in(page, base_url: str, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/chats")


@pytest.fixture
def web(browser, live) -> Iterator[Browsing]:
    """A signed-in page (desktop size); the test fails on any console error or CSP violation."""
    context, page, problems = _new_page(browser, live.url, {"width": 1280, "height": 900})
    sign_in(page, live.url)
    yield Browsing(page, live.url, problems)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def anonymous(browser, live) -> Iterator[Browsing]:
    context, page, problems = _new_page(browser, live.url, {"width": 1280, "height": 900},
                                        (EXPECTED_CONSOLE, EXPECTED_SIGN_IN))
    yield Browsing(page, live.url, problems)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def phone(browser, live) -> Iterator[Browsing]:
    context, page, problems = _new_page(browser, live.url, {"width": 390, "height": 844})
    sign_in(page, live.url)
    yield Browsing(page, live.url, problems)
    context.close()
    assert not problems, "\n".join(problems)
