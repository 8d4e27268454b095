"""Several accounts in one sandbox (sandbox/accounts.py): each under /a/<name>/ with its own world, login and
control API; the root stays the default account, its control API unchanged."""

from __future__ import annotations

import re

import pytest

from sandbox.app import create_app


@pytest.fixture
def client():
    client = create_app(token="t", accounts=2).test_client()
    client.environ_base["HTTP_X_SANDBOX_TOKEN"] = "t"
    return client


def test_each_account_has_its_own_world_and_the_root_is_unchanged(client):
    assert [a["name"] for a in client.get("/_sandbox/accounts").get_json()["accounts"]] == ["a1", "a2"]
    root = client.get("/_sandbox/world?members=0").get_json()
    one = client.get("/a/a1/_sandbox/world?members=0").get_json()
    two = client.get("/a/a2/_sandbox/world?members=0").get_json()
    assert root["account"]["nick_name"] == "wxpy机器人" and len({root["account"]["uin"], one["account"]["uin"]}) == 2
    assert one["account"]["nick_name"] == "机器人-a1" and two["account"]["nick_name"] == "机器人-a2"
    assert len(one["friends"]) == len(root["friends"])  # the root's shape, another seed
    # A message injected into one account reaches that account's log only.
    friend = one["friends"][0]["nick_name"]
    assert client.post("/a/a1/_sandbox/messages", json={"from": friend, "content": "hi a1"}).status_code == 200
    assert client.get("/a/a1/_sandbox/state").get_json()["log_position"] > \
        client.get("/a/a2/_sandbox/state").get_json()["log_position"]
    assert client.get("/a/nobody/_sandbox/state").status_code == 404


def test_a_login_under_a_prefix_is_redirected_within_it(client):
    page = client.get("/a/a2/jslogin?appid=wx782c26e4c19acffb&fun=new").get_data(as_text=True)
    uuid = re.search(r'uuid = "([^"]+)"', page).group(1)
    assert client.post("/a/a2/_sandbox/scan", json={"confirm": True}).status_code == 200
    answer = client.get(f"/a/a2/cgi-bin/mmwebwx-bin/login?uuid={uuid}&tip=0").get_data(as_text=True)
    assert 'redirect_uri="http://localhost/a/a2/cgi-bin/mmwebwx-bin/webwxnewloginpage' in answer
    assert client.get("/_sandbox/state").get_json()["session"] is None  # the root account saw nothing


def test_accounts_are_added_at_run_time_and_bad_names_are_refused(client):
    created = client.post("/_sandbox/accounts", json={"name": "shop", "friends": 3, "groups": 1, "members": 5})
    assert created.status_code == 201
    assert len(client.get("/a/shop/_sandbox/world?members=0").get_json()["friends"]) == 3
    for body in ({"name": "Shop"}, {"name": "shop"}, {"name": "../x"}, {"name": "x", "friends": -1},
                 {"name": "y", "colour": "red"}, {}):
        response = client.post("/_sandbox/accounts", json=body)
        assert response.status_code == 400 and response.get_json()["error"], body
    assert client.post("/a/shop/_sandbox/accounts", json={"name": "z"}).status_code == 400
