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


def test_an_owner_adds_pauses_and_removes_an_account_keeping_its_archive(browser, two_accounts):
    """The /accounts page's forms (views/account_admin.py behind them): each step's result is on the page."""
    app, url, (a_id, _) = two_accounts
    context, page, problems = _new_page(browser, url, {"width": 1400, "height": 900})
    try:
        sign_in(page, url)
        page.goto(f"{url}/accounts")
        form = page.locator("#add-account-form")
        expect(page.locator("#account-key")).to_be_hidden()  # the gateway's fields are padpro's only
        page.select_option("#account-driver", "padpro")
        expect(page.locator("#account-key")).to_be_visible()
        page.select_option("#account-driver", "itchat")
        page.fill("#account-slot", "Bad Slot")
        form.get_by_role("button", name="添加账号").click()
        expect(page.locator("#account-slot-error")).to_contain_text("slot")  # the server's 400, at its field
        page.fill("#account-slot", "shop-2")
        form.get_by_role("button", name="添加账号").click()
        expect(page.locator("#toasts")).to_contain_text("账号“shop-2”已添加")
        with app.app_context():
            new_id = db.session.execute(db.select(Account.id).where(Account.slot == "shop-2")).scalar_one()
        row = page.locator(f"tr[data-account='{new_id}']")
        expect(row).to_contain_text("shop-2")
        # Like any account: the switcher offers it, and its login page is one choice away.
        page.reload()
        expect(page.locator(f"#account-switch option[value='{new_id}']")).to_have_text("shop-2")
        with page.expect_navigation():
            page.locator("#account-switch").select_option(str(new_id))
        page.goto(f"{url}/wechat")
        expect(page.locator("#account-switch")).to_have_value(str(new_id))
        expect(page.locator("#login-state")).not_to_be_empty()  # its own login state (no worker runs here)
        page.goto(f"{url}/accounts")
        row.get_by_role("button", name="暂停").click()
        expect(row.locator("[data-badge=paused]")).to_have_text("已暂停")
        expect(row.get_by_role("button", name="恢复")).to_be_visible()
        row.get_by_role("button", name="移除").click()
        removal = page.locator(f"form[data-remove-form='{new_id}']")
        expect(removal.locator("input[value=keep]")).to_be_checked()
        removal.locator("[data-confirm]").fill("shop")
        removal.get_by_role("button", name="移除").click()
        expect(removal).to_contain_text("请准确输入槽位名称以确认")  # nothing was sent
        removal.locator("[data-confirm]").fill("shop-2")
        removal.get_by_role("button", name="移除").click()
        expect(page.locator("#toasts")).to_contain_text("账号“shop-2”已移除")
        expect(row.locator("[data-badge=archived]")).to_have_text("已归档（只读）")
        expect(row.locator("[data-action=pause]")).to_have_count(0)
        expect(page.locator(f"tr[data-account='{a_id}'] [data-badge=default]")).to_have_text("默认账号")
        with app.app_context():
            archived = db.session.get(Account, new_id)
            assert archived.slot is None and archived.archived_slot == "shop-2" and archived.archived_at is not None
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p or "Content Security" in p], problems


def test_members_get_no_account_management(browser, two_accounts):
    _, url, (a_id, _) = two_accounts
    context, page, problems = _new_page(browser, url, {"width": 1400, "height": 900})
    try:
        sign_in(page, url, username=OPERATOR)
        page.goto(f"{url}/accounts")
        expect(page.locator(f"tr[data-account='{a_id}']")).to_contain_text("账号甲")
        expect(page.locator("#add-account-form")).to_have_count(0)
        expect(page.locator("[data-action]")).to_have_count(0)
    finally:
        context.close()
    assert not [p for p in problems if "page error" in p], problems
