"""The account switcher and the all-accounts overview in a real Chromium: two accounts with data in one database.

No WeChat stack: the rows are written straight into the database and the web app runs on a live server; the
overview's live update comes from a `message` event published as the archive publishes it.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from app import create_app
from extensions import db
from libs.events import publish
from models.admin import AccountGrant, AdminUser
from models.message import Message
from models.types import utcnow
from models.wechat import Account, Contact
from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, LiveServer, _new_page, sign_in
from tests.fixtures.processes import wait_for

pytestmark = pytest.mark.integration
OPERATOR = "operator-a"


@pytest.fixture
def two_accounts(migrated_db, redis_server, tmp_path):  # noqa: F811  (session fixtures of tests/conftest.py)
    db_path = tmp_path / "accounts.db"
    shutil.copy(migrated_db, db_path)
    redis_server.client().flushall()
    app = create_app({"SECRET_KEY": "accounts-secret", "REDIS_URL": redis_server.url,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        a = Account(puid="self-a", nick_name="账号甲", last_login_at=utcnow())
        b = Account(puid="self-b", nick_name="账号乙")
        db.session.add_all([a, b])
        db.session.flush()
        for account, tag in ((a, "甲"), (b, "乙")):
            db.session.add_all([
                Contact(account_id=account.id, puid=f"f-{account.id}", nick_name=f"{tag}的朋友", is_friend=True),
                Message(account_id=account.id, msg_id=f"m-{account.id}", type="text", chat_kind="friend",
                        chat_puid=f"f-{account.id}", text=f"{tag}的消息", created_at=utcnow())])
        owner = AdminUser(username=ADMIN)
        operator = AdminUser(username=OPERATOR, role="member")
        for user in (owner, operator):
            user.set_password(ADMIN_PASSWORD)
        db.session.add_all([owner, operator])
        db.session.flush()
        db.session.add(AccountGrant(admin_id=operator.id, account_id=a.id, role="operator"))
        db.session.commit()
        ids = (a.id, b.id)
    with LiveServer(app) as server:
        wait_for(lambda: app.test_client().get("/healthz").status_code == 200, 10, what="web app")
        yield app, server.url, ids
    with app.app_context():
        db.engine.dispose()


def test_switching_accounts_shows_only_each_accounts_data(browser, two_accounts):
    app, url, (a_id, b_id) = two_accounts
    context, page, problems = _new_page(browser, url, {"width": 1400, "height": 900})
    try:
        sign_in(page, url)
        page.goto(f"{url}/contacts")
        contacts = page.locator("#contacts")
        expect(contacts).to_contain_text("甲的朋友")
        expect(contacts).not_to_contain_text("乙的朋友")
        switch = page.locator("#account-switch")
        expect(switch).to_have_value(str(a_id))
        with page.expect_navigation():
            switch.select_option(str(b_id))
        expect(page.locator("#account-switch")).to_have_value(str(b_id))
        expect(page.locator("#contacts")).to_contain_text("乙的朋友")
        expect(page.locator("#contacts")).not_to_contain_text("甲的朋友")
        # The overview lists both accounts and follows their events live (its stream is unfiltered).
        page.goto(f"{url}/accounts")
        row_b = page.locator(f"tr[data-account='{b_id}']")
        expect(row_b.locator("[data-figure=messages_today]")).to_have_text("1")
        expect(page.locator(f"tr[data-account='{a_id}']")).to_contain_text("账号甲")
        page.wait_for_function("document.querySelector('.live-dot.is-live') !== null")
        with app.app_context():
            row = Message(account_id=b_id, msg_id="m-live", type="text", chat_kind="friend", chat_puid=f"f-{b_id}",
                          text="新消息", created_at=utcnow())
            db.session.add(row)
            db.session.commit()
            publish("message", {"id": row.id, "account_id": b_id})
        expect(row_b.locator("[data-figure=messages_today]")).to_have_text("2")
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p or "Content Security" in p], problems


def test_an_operator_of_one_account_sees_no_other(browser, two_accounts):
    _, url, (a_id, b_id) = two_accounts
    context, page, problems = _new_page(browser, url, {"width": 1400, "height": 900})
    try:
        sign_in(page, url, username=OPERATOR)
        page.goto(f"{url}/contacts")
        expect(page.locator("#contacts")).to_contain_text("甲的朋友")
        expect(page.locator("#account-switch")).to_have_count(0)  # one account: nothing to switch
        answer = page.evaluate("""async (id) => {
            const response = await fetch(`/api/contacts?account=${id}`);
            return [response.status, (await response.json()).code];
        }""", b_id)
        assert answer == [403, "role"]
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p], problems


def test_an_owner_grants_access_on_the_admins_page(browser, two_accounts):
    app, url, (a_id, b_id) = two_accounts
    context, page, problems = _new_page(browser, url, {"width": 1400, "height": 900})
    try:
        sign_in(page, url)
        page.goto(f"{url}/admins")
        with app.app_context():
            operator_id = db.session.execute(db.select(AdminUser.id).where(AdminUser.username == OPERATOR)).scalar_one()
        row = page.locator(f"li[data-admin='{operator_id}']")
        expect(row.locator("[data-role]")).to_have_text("成员")  # zh-CN: a member (not an owner)
        row.get_by_role("button", name="权限").click()
        expect(row.locator(f"select[data-grant='{a_id}']")).to_have_value("operator")
        row.locator(f"select[data-grant='{b_id}']").select_option("viewer")
        row.get_by_role("button", name="保存修改").click()
        expect(page.locator("#toasts")).to_contain_text("权限已保存")
        with app.app_context():
            grants = db.session.execute(db.select(AccountGrant.account_id, AccountGrant.role).where(
                AccountGrant.admin_id == operator_id).order_by(AccountGrant.account_id)).all()
        assert [tuple(grant) for grant in grants] == [(a_id, "operator"), (b_id, "viewer")]
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p], problems
