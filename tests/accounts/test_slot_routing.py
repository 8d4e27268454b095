"""A request about an account with a listener slot of its own (`flask accounts add`) reads and commands that
slot's bot (views/account_context.use_slot → wechat/control.py), never the default one's."""

from __future__ import annotations

from extensions import db
from models.wechat import Account
from wechat.bot.state import BotState
from wechat.workers.slots import add_account


def test_the_named_accounts_slot_answers_for_it(app, client, api_token):
    with app.app_context():
        add_account("shop")
        db.session.commit()
        shop = Account.query.filter_by(slot="shop").one()
        shop_id = shop.id
        redis = app.extensions["redis"]
        BotState(redis, "shop").set_paused("shop paused by its operator")
        BotState(redis, app.config["WECHAT_ACCOUNT"]).set_paused(None)
    headers = {"Authorization": f"Bearer {api_token}"}

    named = client.get("/api/status", headers={**headers, "X-WeChat-Account": str(shop_id)})
    default = client.get("/api/status", headers=headers)

    assert named.status_code == default.status_code == 200
    assert named.get_json()["paused"] == "shop paused by its operator"
    assert named.get_json()["bot_queue"]["waiting"] == 0
    assert named.get_json()["login"]["state"] != "not_connected"  # its own state, not "another account runs"
    assert default.get_json()["paused"] is None


def test_the_first_page_after_a_login_names_an_account_that_stays(app, client, api_token):
    """The account row of a login the sync has not stored yet is created by the first request that asks, and kept:
    the page names its id in every call it makes afterwards."""
    with app.app_context():
        state = BotState(app.extensions["redis"], app.config["WECHAT_ACCOUNT"])
        state.acquire("listener-1", 60)
        state.set_login("logged_in", puid="fresh-login-puid", nick_name="新登录")
    headers = {"Authorization": f"Bearer {api_token}"}

    first = client.get("/api/accounts", headers=headers)
    assert first.status_code == 200
    chosen = [item["id"] for item in first.get_json()["items"] if item.get("default")] or \
        [item["id"] for item in first.get_json()["items"]]
    assert chosen
    again = client.get("/api/contacts", headers={**headers, "X-WeChat-Account": str(chosen[0])})
    assert again.status_code == 200, again.get_json()
    with app.app_context():
        assert Account.query.filter_by(puid="fresh-login-puid").count() == 1
