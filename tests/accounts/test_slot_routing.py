"""A request about an account with a listener slot of its own (`flask accounts add`) reads and commands that
slot's bot (views/account_context.use_slot → wechat/control.py), never the default one's."""

from __future__ import annotations

from extensions import db
from models.wechat import Account
from wechat.slots import add_account
from wechat.state import BotState


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
