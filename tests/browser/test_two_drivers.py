"""Two accounts on two drivers in one installation, end to end in Chromium (#18): the default account on itchat
(the sandbox's web face), a second account slot on padpro (the gateway face of its own sandbox world under
/a/<slot>/), both logged in by scanning their QR codes, both synced by one real worker. The owner switches between
them and each shows only its own friends, groups and messages (live ones included); an operator granted only
account A gets 403 on account B for every route of the app, walked from the browser with the operator's session.

Each world has its own distinctive names (no seeded people, whose generated names could occur in both worlds),
so "never B's" checks really could fail.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from extensions import db
from models.admin import AccountGrant, AdminUser
from models.message import Message
from models.wechat import Account, Contact, Group
from tests.browser.conftest import EXPECTED_CONSOLE, _new_page, sign_in
from tests.fixtures.processes import wait_for
from tests.fixtures.routes import concrete_url, guarded_routes
from tests.fixtures.sandbox import DEFAULT_WORLD
from tests.fixtures.sandbox_accounts import SandboxAccounts
from wechat.workers.slots import PLACEHOLDER

pytestmark = pytest.mark.integration

EMPTY = {"friends": 0, "groups": 0, "members": 3, "mps": 0}
A = {"nick": "甲号机器人", "friends": ["甲友春", "甲友夏"], "group": "甲号的群", "message": "甲号收到的悄悄话"}
B = {"nick": "乙号机器人", "friends": ["乙友秋", "乙友冬"], "group": "乙号的群", "message": "乙号收到的悄悄话"}


def world_of(side: dict) -> dict:
    return {"explicit_friends": side["friends"],
            "explicit_groups": [{"name": side["group"], "members": [*side["friends"], side["group"] + "路人"],
                                 "owner": "self", "saved": True}]}


# Read by the `live` fixture (tests/browser/conftest.py): the default account's world, and a placement loop fast
# enough to pick up the slot added after the worker started.
SANDBOX_WORLD = {**DEFAULT_WORLD, **EMPTY, "account": {"nick_name": A["nick"]}, **world_of(A)}
WORKER_ENV = {"PLACEMENT_INTERVAL": "1", "PADPRO_HTTP_SYNC_SECONDS": "5"}
OPERATOR, OPERATOR_PASSWORD = "operator-of-a", "operator password 1"
# The operator walks every route naming B: each answers 403 (JSON routes say why), which Chromium logs.
EXPECTED_WALK = re.compile(r"Failed to load resource: the server responded with a status of 403")


def names(app, model, account_id: int) -> set[str]:
    with app.app_context():
        column = model.nick_name
        found = set(db.session.execute(db.select(column).where(model.account_id == account_id)).scalars())
        db.session.rollback()
        return found


@pytest.fixture(scope="module")
def two(live):
    """Both accounts logged in and synced: {"a": id, "b": id, "slot": B's slot}."""
    app = live.stack.app
    accounts = SandboxAccounts(live.stack, ["default"])
    slot = f"b{uuid.uuid4().hex[:8]}"  # the sandbox lives for the session: a fresh account name per module
    accounts.add_padpro(slot, nick_name=B["nick"], **EMPTY)
    accounts.control(slot, "reset", world_of(B))
    accounts.scan_until_logged_in(60)

    def ids():
        with app.app_context():
            rows = {(row.slot, row.id) for row in db.session.execute(db.select(Account)).scalars()
                    if not row.puid.startswith(PLACEHOLDER)}
            db.session.rollback()
        by_slot = dict(rows)
        return by_slot if len(rows) == 2 and None in by_slot and slot in by_slot else None

    by_slot = wait_for(ids, 30, what="both accounts' rows bound to their WeChat users")
    a_id, b_id = by_slot[None], by_slot[slot]
    # The sync after each login (wechat/bot/worker_wiring.after_login) fills each account's contacts and groups.
    for account_id, side in ((a_id, A), (b_id, B)):
        wait_for(lambda account_id=account_id, side=side: set(side["friends"]) <= names(app, Contact, account_id)
                 and side["group"] in names(app, Group, account_id), 45, interval=0.5,
                 what=f"{side['nick']}'s contacts and groups synced")
    return {"a": a_id, "b": b_id, "slot": slot, "accounts": accounts}


def switch_to(page, account_id: int) -> None:
    """Choose the account in the navigation's switcher (it stores the choice and reloads the page)."""
    switch = page.locator("#account-switch")
    if switch.input_value() != str(account_id):
        with page.expect_navigation():
            switch.select_option(str(account_id))
    expect(page.locator("#account-switch")).to_have_value(str(account_id))


def shows_only(page, selector: str, mine: list[str], theirs: list[str]) -> None:
    box = page.locator(selector)
    for name in mine:
        expect(box).to_contain_text(name)
    for name in theirs:
        expect(box).not_to_contain_text(name)


def test_the_switcher_lists_both_and_each_account_shows_only_its_own_data(web, live, two):
    page = web.goto("/contacts")
    options = page.locator("#account-switch option")
    expect(options).to_have_count(2)
    assert {options.nth(i).get_attribute("value"): options.nth(i).inner_text() for i in range(2)} == {
        str(two["a"]): A["nick"], str(two["b"]): B["nick"]}
    for account_id, mine, theirs in ((two["a"], A, B), (two["b"], B, A), (two["a"], A, B)):
        page = web.goto("/contacts")
        switch_to(page, account_id)
        shows_only(page, "#contacts", mine["friends"], theirs["friends"])
        page = web.goto("/groups")
        expect(page.locator("#account-switch")).to_have_value(str(account_id))  # the choice is kept
        shows_only(page, "#groups", [mine["group"]], [theirs["group"]])


def stored_texts(app, account_id: int) -> set[str]:
    with app.app_context():
        texts = set(db.session.execute(db.select(Message.text).where(Message.account_id == account_id)).scalars())
        db.session.rollback()
        return texts


def test_a_message_into_each_world_shows_in_its_own_account_only(web, live, two):
    app, accounts = live.stack.app, two["accounts"]
    page = web.goto("/messages")
    switch_to(page, two["a"])
    page.locator("#live-status.is-live").wait_for(state="attached")  # A's stream is open before the messages come
    accounts.control("default", "messages", {"from": A["friends"][0], "type": "text", "content": A["message"]})
    accounts.control(two["slot"], "messages", {"from": B["friends"][0], "type": "text", "content": B["message"]})
    expect(page.locator("#messages .message", has_text=A["message"])).to_be_visible(timeout=30000)
    wait_for(lambda: B["message"] in stored_texts(app, two["b"]), 30, what="B's message archived under B")
    assert B["message"] not in stored_texts(app, two["a"]) and A["message"] not in stored_texts(app, two["b"])
    # A marker sent to A after B's message was archived (and so published): once it shows, B's event would have
    # shown before it, had A's stream let it through.
    accounts.control("default", "messages", {"from": A["friends"][1], "type": "text", "content": "甲号的标记"})
    expect(page.locator("#messages .message", has_text="甲号的标记")).to_be_visible(timeout=30000)
    shows_only(page, "#messages", [A["message"]], [B["message"]])
    page.reload()  # and the list fetched again
    shows_only(page, "#messages", [A["message"]], [B["message"]])
    switch_to(page, two["b"])
    shows_only(page, "#messages", [B["message"]], [A["message"]])


@pytest.fixture(scope="module")
def operator_of_a(live, two) -> str:
    """A member admin granted `operator` on account A only; returns the username."""
    with live.stack.app.app_context():
        operator = AdminUser(username=OPERATOR, role="member")
        operator.set_password(OPERATOR_PASSWORD)
        db.session.add(operator)
        db.session.flush()
        db.session.add(AccountGrant(admin_id=operator.id, account_id=two["a"], role="operator", created_by="test"))
        db.session.commit()
    return OPERATOR


def test_an_operator_of_a_gets_403_on_b_for_every_route(browser, live, two, operator_of_a):
    app = live.stack.app
    routes = [[method, concrete_url(rule)] for rule, method in guarded_routes(app)]
    context, page, problems = _new_page(browser, live.url, {"width": 1280, "height": 900},
                                        (EXPECTED_CONSOLE, EXPECTED_WALK))
    try:
        sign_in(page, live.url, operator_of_a, OPERATOR_PASSWORD)
        page.goto(f"{live.url}/contacts")
        shows_only(page, "#contacts", A["friends"], B["friends"])
        expect(page.locator("#account-switch")).to_have_count(0)  # one account: nothing to switch
        # A's data is the operator's (before the walk: a route the guard let through might sign them out).
        own = page.evaluate("""async (account) => {
            const response = await fetch(`/api/contacts?account=${account}`);
            return [response.status, (await response.json()).items.map((item) => item.nick_name)];
        }""", two["a"])
        # Every route, naming B, with the operator's cookie session and its CSRF token (so a write is refused for
        # the account, not for a missing token); bodies are empty JSON objects: the guard answers before any view.
        answers = page.evaluate("""async ({routes, account}) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const answers = [];
            for (const [method, url] of routes) {
                const response = await fetch(`${url}${url.includes("?") ? "&" : "?"}account=${account}`, {
                    method, redirect: "manual",
                    headers: {"X-CSRFToken": csrf, "Content-Type": "application/json"},
                    body: method === "GET" ? undefined : "{}"});
                const text = await response.text();
                let code = null;
                try { code = JSON.parse(text).code; } catch (error) { code = null; }
                answers.push([method, url, response.status, code]);
            }
            return answers;
        }""", {"routes": routes, "account": two["b"]})
    finally:
        context.close()
    assert len(answers) == len(routes) >= 90, len(answers)  # the walk really walked every route
    allowed = [(method, url, status) for method, url, status, _ in answers if status != 403]
    assert not allowed, allowed
    json_routes = [answer for answer in answers if answer[1].startswith(("/api/", "/stream", "/metrics"))]
    assert json_routes and all(code == "role" for *_, code in json_routes), json_routes
    assert own[0] == 200 and set(A["friends"]) <= set(own[1]) and not set(B["friends"]) & set(own[1]), own
    assert not [p for p in problems if "page error" in p or "Content Security" in p], problems


def test_metrics_have_each_accounts_own_series(live, two):
    """/metrics (the scraper's bearer token) labels each account's series by its slot: both logged in, and the
    archive's counter of each account equals that account's archived messages (counted by the message loop of
    that account's driver)."""
    app, accounts = live.stack.app, two["accounts"]
    slots = {"default": two["a"], two["slot"]: two["b"]}
    for slot, side in (("default", A), (two["slot"], B)):
        accounts.control(slot, "messages", {"from": side["friends"][1], "type": "text", "content": "metrics " + slot})

    def series() -> dict[str, dict[str, float]]:
        text = live.stack.api("GET", "/metrics").get_data(as_text=True)
        found: dict[str, dict[str, float]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if "account" in sample.labels:
                    found.setdefault(sample.name, {})[sample.labels["account"]] = sample.value
        return found

    def counted() -> dict | None:
        found = series()
        stored = {slot: float(len(stored_texts(app, account_id))) for slot, account_id in slots.items()}
        done = all(f"metrics {slot}" in stored_texts(app, account_id) for slot, account_id in slots.items())
        return found if done and found.get("wechat_admin_account_messages_stored_total") == stored else None

    found = wait_for(counted, 30, interval=0.5, what=f"per-account stored counters ({series()})")
    assert found["wechat_admin_logged_in"] == {"default": 1.0, two["slot"]: 1.0}
    assert found["wechat_admin_listener_up"] == {"default": 1.0, two["slot"]: 1.0}
    assert set(found["wechat_admin_unread_messages"]) == set(slots)
    assert not {A["nick"], B["nick"]} & {account for values in found.values() for account in values}
