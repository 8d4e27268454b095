"""The account API (views/account_admin.py): owners add, pause, resume and remove accounts; everyone else is refused,
hostile input gets a clear 400, and an archive is read-only. Every answer is checked against the OpenAPI document
(tests/conftest.IsolatedClient)."""

from __future__ import annotations

import json

import pytest

from extensions import db
from models.audit import AuditLog
from models.wechat import Account
from tests.accounts.conftest import World
from wechat.workers.slots import running_slots

KEY = "gateway-key-never-shown"


def _owner(world: World, scope: str = "admin") -> dict:
    return {"Authorization": f"Bearer {world.token('owner', scope)}"}


def _add(client, world: World, **body):
    return client.post("/api/accounts", headers=_owner(world), json={"slot": "shop", "driver": "itchat", **body})


def test_an_owner_adds_a_padpro_account_and_the_key_never_comes_back(app, client, world: World):
    app.config["OUTBOUND_ALLOW_HOSTS"] = "gw.lan"
    app.config["OUTBOUND_ALLOW_NETS"] = "10.0.0.0/8"
    added = _add(client, world, driver="padpro", base_url="http://10.0.0.7:8059/", key=KEY)
    assert added.status_code == 201, added.json
    assert added.json["slot"] == "shop" and added.json["has_key"] is True and KEY not in added.get_data(as_text=True)
    assert running_slots() == ["default", "shop"]
    # It is an account like the others: listed, and the switcher can choose it (its QR login is on /wechat then).
    listed = client.get("/api/accounts", headers=_owner(world)).json["items"]
    assert added.json["id"] in [item["id"] for item in listed]
    overview = client.get("/api/accounts/overview", headers=_owner(world)).get_data(as_text=True)
    assert '"slot": "shop"' in overview.replace('":"', '": "') or '"slot":"shop"' in overview
    assert KEY not in overview
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.action == "account.add")).scalars().all()
    assert [entry.actor for entry in entries] == ["root"] and KEY not in json.dumps(entries[0].detail)


@pytest.mark.parametrize("body, field", [
    ({"slot": "Shop"}, "slot"), ({"slot": "../etc"}, "slot"), ({"slot": ""}, "slot"), ({"slot": "a" * 41}, "slot"),
    ({"slot": "shop\n"}, "slot"), ({"slot": "默认"}, "slot"), ({"slot": 5}, "slot"), ({"slot": None}, "slot"),
    ({}, "slot"), ({"slot": "shop", "driver": "telegram"}, "driver"), ({"slot": "shop", "driver": 1}, "driver"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": "javascript:alert(1)"}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": "file:///etc/passwd"}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": "http://admin:pw@gw.example.com/"}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": "http://127.0.0.1:6379/"}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": "http://x/" + "a" * 2100}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "key": KEY, "base_url": ["http://gw.example.com"]}, "base_url"),
    ({"slot": "shop", "driver": "padpro", "base_url": "http://8.8.8.8/"}, "key"),
    ({"slot": "shop", "driver": "padpro", "key": "k" * 300}, "key"),
    ({"slot": "shop", "driver": "padpro", "key": 12345}, "key"),
    ({"slot": "shop", "driver": "itchat", "key": KEY}, "key"),
    ({"slot": "shop", "password": "x"}, "password"),
])
def test_hostile_input_is_a_clear_400_naming_the_field(client, world: World, body, field):
    response = client.post("/api/accounts", headers=_owner(world), json=body)
    assert response.status_code == 400, response.json
    assert response.json["field"] == field and response.json["error"], response.json
    assert KEY not in response.get_data(as_text=True)
    assert db.session.execute(db.select(Account).where(Account.slot.is_not(None))).first() is None


def test_a_body_that_is_not_json_or_is_huge_is_refused(client, world: World):
    assert client.post("/api/accounts", headers=_owner(world), data="slot=shop").status_code in (400, 415)
    huge = client.post("/api/accounts", headers={**_owner(world), "Content-Type": "application/json"},
                       data=json.dumps({"slot": "shop", "key": "k" * 3_000_000}))
    assert huge.status_code in (400, 413)


def test_duplicates_are_409_and_unknown_accounts_404(client, world: World):
    assert _add(client, world).status_code == 201
    again = _add(client, world)
    assert again.status_code == 409 and again.json["code"] == "duplicate"
    assert _add(client, world, slot="default").status_code == 409
    for method, url in (("POST", "/api/accounts/999999/pause"), ("POST", "/api/accounts/999999/resume"),
                        ("DELETE", "/api/accounts/999999?archive=keep")):
        response = client.open(url, method=method, headers=_owner(world))
        assert response.status_code == 404 and response.json["code"] == "unknown_account", (url, response.json)


def test_pause_resume_and_the_default_account(client, world: World):
    account_id = _add(client, world).json["id"]
    paused = client.post(f"/api/accounts/{account_id}/pause", headers=_owner(world))
    assert paused.status_code == 200 and paused.json["paused"] is True and running_slots() == ["default"]
    resumed = client.post(f"/api/accounts/{account_id}/resume", headers=_owner(world))
    assert resumed.json["paused"] is False and running_slots() == ["default", "shop"]
    # A and B belong to the default account (no slot of their own): the installation's, not removable here.
    for method, url in (("POST", f"/api/accounts/{world.a.id}/pause"),
                        ("DELETE", f"/api/accounts/{world.a.id}?archive=keep"),
                        ("DELETE", f"/api/accounts/{world.a.id}?archive=delete&confirm=")):
        response = client.open(url, method=method, headers=_owner(world))
        assert response.status_code == 400 and response.json["code"] == "default_account", response.json
        assert "default account" in response.json["error"]
    assert [entry.action for entry in db.session.execute(db.select(AuditLog).where(
        AuditLog.target == "shop").order_by(AuditLog.id)).scalars()] == ["account.add", "account.pause",
                                                                          "account.resume"]


@pytest.mark.parametrize("query, field", [
    ("", "archive"), ("?archive=maybe", "archive"), ("?archive=delete", "confirm"),
    ("?archive=delete&confirm=shpo", "confirm"), ("?archive=delete&confirm=" + "s" * 41, "confirm"),
    ("?archive=keep&confirm=SHOP", "confirm"),
])
def test_removal_needs_a_choice_and_deleting_needs_the_typed_slot(client, world: World, query, field):
    account_id = _add(client, world).json["id"]
    response = client.delete(f"/api/accounts/{account_id}{query}", headers=_owner(world))
    assert response.status_code == 400 and response.json["field"] == field, response.json
    assert db.session.get(Account, account_id).slot == "shop"


def test_removing_and_keeping_the_archive_makes_it_read_only(client, world: World):
    account_id = _add(client, world).json["id"]
    removed = client.delete(f"/api/accounts/{account_id}?archive=keep", headers=_owner(world))
    assert removed.status_code == 200, removed.json
    assert removed.json["archive"] == "keep" and removed.json["account"]["archived"] is True
    assert removed.json["account"]["archived_slot"] == "shop" and running_slots() == ["default"]
    # Readable, not writable, by anyone (the owner too); pausing it again is a conflict; deleting it stays possible.
    owner = {**_owner(world), "X-WeChat-Account": str(account_id)}
    assert client.get("/api/schedules", headers=owner).status_code == 200
    refused = client.post("/api/schedules", headers=owner, json={})
    assert refused.status_code == 409 and refused.json["code"] == "archived"
    assert client.post(f"/api/accounts/{account_id}/pause", headers=_owner(world)).status_code == 409
    deleted = client.delete(f"/api/accounts/{account_id}?archive=delete&confirm=shop", headers=_owner(world))
    assert deleted.status_code == 200 and deleted.json["account"] is None
    assert db.session.get(Account, account_id) is None


def test_a_dashboard_session_needs_csrf_and_the_switcher_choice_of_an_archive_is_read_only(client, world: World):
    from tests.conftest import csrf_token_from, log_in

    assert log_in(client).status_code == 302
    assert client.post("/api/accounts", json={"slot": "shop"}).status_code == 400  # no CSRF token: refused
    token = csrf_token_from(client, "/accounts")
    added = client.post("/api/accounts", json={"slot": "shop"}, headers={"X-CSRFToken": token})
    assert added.status_code == 201, added.json
    account_id = added.json["id"]
    assert client.delete(f"/api/accounts/{account_id}?archive=keep", headers={"X-CSRFToken": token}).status_code == 200
    assert client.post("/api/accounts/current", json={"account_id": account_id},
                       headers={"X-CSRFToken": token}).status_code == 200
    refused = client.post("/api/schedules", json={}, headers={"X-CSRFToken": token})
    assert refused.status_code == 409 and refused.json["code"] == "archived"


@pytest.mark.parametrize("role", ["operator", "viewer", "none"])
def test_only_owners_manage_accounts(client, world: World, role):
    headers = {"Authorization": f"Bearer {world.token(role)}"}
    for method, url, body in (("POST", "/api/accounts", {"slot": "shop"}),
                              ("POST", f"/api/accounts/{world.a.id}/pause", None),
                              ("POST", f"/api/accounts/{world.a.id}/resume", None),
                              ("DELETE", f"/api/accounts/{world.a.id}?archive=delete&confirm=x", None)):
        response = client.open(url, method=method, headers=headers, json=body)
        assert response.status_code == 403 and response.json["code"] == "role", (role, url, response.json)
    assert db.session.execute(db.select(Account).where(Account.slot.is_not(None))).first() is None


def test_a_read_token_of_an_owner_cannot_write(client, world: World):
    headers = _owner(world, scope="read")
    response = client.post("/api/accounts", headers=headers, json={"slot": "shop"})
    assert response.status_code == 403 and response.json["code"] == "scope"
    assert client.delete(f"/api/accounts/{world.a.id}?archive=keep", headers=headers).status_code == 403
    assert client.get("/api/accounts/overview", headers=headers).status_code == 200


def test_the_routes_are_documented_with_their_models(client, world: World):
    document = client.get("/api/openapi.json", headers=_owner(world)).json
    add = document["paths"]["/api/accounts"]["post"]
    assert add["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AddAccountIn")
    assert add["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/ManagedAccount")
    remove = document["paths"]["/api/accounts/{account_id}"]["delete"]
    assert {parameter.get("name") for parameter in remove["parameters"]} >= {"account_id", "archive", "confirm"}
    for action in ("pause", "resume"):
        assert "200" in document["paths"][f"/api/accounts/{{account_id}}/{action}"]["post"]["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["AddAccountIn"]["properties"]["key"].get("writeOnly") or "writeOnly" in json.dumps(
        schemas["AddAccountIn"]["properties"]["key"])
    assert "key" not in schemas["ManagedAccount"]["properties"]
