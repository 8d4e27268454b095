"""The pager in a real Chromium when the server caps its count: "10,000+", and "next" while pages are full.

No WeChat stack here: the archive is written straight into the database and the web app runs on a live server.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from app import create_app
from extensions import db
from models.admin import AdminUser
from models.message import Message
from models.types import utcnow
from models.wechat import Account
from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, LiveServer, _new_page, sign_in
from tests.fixtures.processes import wait_for

pytestmark = pytest.mark.integration
MESSAGES = 10_050  # just past the 10,000 the server counts up to


@pytest.fixture
def archive_site(migrated_db, redis_server, tmp_path):  # noqa: F811  (session fixtures of tests/conftest.py)
    db_path = tmp_path / "archive.db"
    shutil.copy(migrated_db, db_path)
    redis_server.client().flushall()
    app = create_app({"SECRET_KEY": "pager-secret", "REDIS_URL": redis_server.url,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        admin = AdminUser(username=ADMIN)
        admin.set_password(ADMIN_PASSWORD)
        account = Account(puid="self", nick_name="bot", last_login_at=utcnow())
        db.session.add_all([admin, account])
        db.session.flush()
        start = datetime(2026, 5, 1, tzinfo=UTC)
        db.session.execute(insert(Message), [
            {"account_id": account.id, "msg_id": str(n), "type": "text", "chat_kind": "friend", "chat_puid": "f1",
             "text": f"message {n}", "created_at": start + timedelta(seconds=n), "received_at": start}
            for n in range(MESSAGES)])
        db.session.commit()
    with LiveServer(app) as server:
        wait_for(lambda: app.test_client().get("/healthz").status_code == 200, 10, what="web app")
        yield server.url
    with app.app_context():
        db.engine.dispose()


def test_capped_total_shows_a_plus_and_next_stays_available(browser, archive_site):
    context, page, problems = _new_page(browser, archive_site, {"width": 1280, "height": 900})
    try:
        sign_in(page, archive_site)
        page.goto(f"{archive_site}/messages")
        pager = page.locator("#messages-pager .pager")
        expect(pager).to_contain_text("10,000+")
        expect(pager).to_contain_text("1/334+")  # 30 a page
        pager.get_by_role("button").last.click()
        expect(pager).to_contain_text("2/334+")
        expect(pager.get_by_role("button").last).to_be_enabled()
        # The last page of a capped list: fewer rows than a page, so no "next" (the total is exact by then).
        last = page.evaluate("""async () => {
            const { pager } = await import("/static/js/core.js");
            const node = pager({ page: 400, per_page: 30, total: 11970, total_capped: true,
                                 items: new Array(12).fill({}) }, () => {});
            return [node.querySelector("span").textContent, node.querySelectorAll("button")[1].disabled];
        }""")
        assert last[1] is True and "400/400+" in last[0] and "11,970+" in last[0], last
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p], problems
