"""Who may do what, on which account: every route of the app, walked with every role on account A and account B.

The expectations are written out here, independently of libs/roles.py: a route moved from one class to another
there without the same decision here fails this test.
"""

from __future__ import annotations

import pytest

from libs.sse import get_hub
from tests.accounts.conftest import World
from tests.fixtures.routes import concrete_url, guarded_routes

# Only an owner: admins and grants, adding/pausing/removing accounts, the installation-wide plugin configuration,
# a new WeChat login, metrics.
OWNER_ONLY = {
    "pages.list_admins", "pages.activate_admin", "pages.deactivate_admin", "accounts.admin_grants",
    "accounts.set_admin_grants", "plugins.update_plugin", "plugins.reload_plugins", "wechat.login", "metrics.metrics",
    # Which WeChat accounts the installation runs.
    "account_admin.add_account", "account_admin.pause_account", "account_admin.resume_account",
    "account_admin.remove_account",
}
# About the signed-in admin themself: any admin, even one without a grant, and writes too (sign out, own password,
# own tokens, choosing the switcher's account).
SELF_SERVICE = {
    "api.me", "auth.logout", "pages.change_password", "pages.sign_out_everywhere", "pages.list_tokens",
    "pages.create_token", "pages.revoke_token", "accounts.list_accounts", "accounts.choose_account",
    "accounts.overview", "dashboard.admins", "dashboard.accounts", "dashboard.api_reference",
    "api_reference.openapi_spec", "stream.stream",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def expected_refusal(role: str, on_a: bool, endpoint: str, method: str) -> bool:
    """Whether `role` (operator/viewer of A, owner, or a member with no grant) is refused on A or on B."""
    if role == "owner":
        return False
    if not on_a or role == "none":
        return True  # naming an account you have no grant on is refused on every route
    if endpoint in OWNER_ONLY:
        return True
    if endpoint in SELF_SERVICE:
        return False
    return role == "viewer" and method in WRITES


@pytest.mark.parametrize("role", ["owner", "operator", "viewer", "none"])
def test_every_route_with_every_role_on_both_accounts(app, client, world: World, role):
    hub = get_hub(app.config["REDIS_URL"])
    checked = refused_count = 0
    try:
        for rule, method in guarded_routes(app):
            for account, on_a in ((world.a, True), (world.b, False)):
                url = concrete_url(rule)
                adapter = app.url_map.bind("localhost")
                assert adapter.match(url, method=method)[0] == rule.endpoint, url  # the walk reaches the route
                # A fresh token per request: an allowed call may revoke the caller's tokens ("sign out everywhere").
                headers = {"Authorization": f"Bearer {world.token(role)}"}
                response = client.open(url, method=method, headers=headers, query_string={"account": account.id},
                                       buffered=url != "/stream")
                refused = response.status_code == 403 and response.is_json and response.json.get("code") == "role"
                status = response.status_code
                response.close()
                assert status != 500, (role, method, url, account.nick_name)
                assert refused == expected_refusal(role, on_a, rule.endpoint, method), (
                    role, method, url, account.nick_name, status)
                checked += 1
                refused_count += refused
    finally:
        hub.stop()
    assert checked >= 180  # the walk really walked: every route twice
    if role != "owner":
        assert refused_count >= checked // 2  # at least everything on B


def test_the_walk_covers_every_classified_endpoint(app):
    """A listed endpoint that no longer exists is a stale rule in this test or in libs/roles.py."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert OWNER_ONLY <= endpoints and SELF_SERVICE <= endpoints


@pytest.mark.parametrize("role", ["operator", "viewer", "none"])
def test_without_naming_an_account_a_member_gets_the_granted_one_or_nothing(client, world: World, role):
    headers = {"Authorization": f"Bearer {world.token(role)}"}
    contacts = client.get("/api/contacts", headers=headers)
    if role == "none":
        assert contacts.status_code == 403 and contacts.json["code"] == "role"
        assert client.get("/api/me", headers=headers).status_code == 200  # self-service still works
        assert client.get("/api/accounts", headers=headers).json["items"] == []
        return
    assert contacts.status_code == 200
    assert {item["puid"] for item in contacts.json["items"]} == {"a-friend"}
    listed = client.get("/api/accounts", headers=headers).json["items"]
    assert [(item["id"], item["role"]) for item in listed] == [(world.a.id, role)]


def test_a_member_whose_grant_is_elsewhere_falls_back_to_it(client, world: World):
    """The installation's fallback (the most recent account, A) is not theirs: they get their first grant (B)."""
    from extensions import db
    from models.admin import AccountGrant

    grant = db.session.execute(db.select(AccountGrant).where(
        AccountGrant.admin_id == world.admins["viewer"].id)).scalar_one()
    grant.account_id = world.b.id
    db.session.commit()
    headers = {"Authorization": f"Bearer {world.token('viewer')}"}
    assert {item["puid"] for item in client.get("/api/contacts", headers=headers).json["items"]} == {"b-friend"}


@pytest.mark.parametrize("value, status, code", [
    ("0", 400, "invalid_account"), ("-1", 400, "invalid_account"), ("abc", 400, "invalid_account"),
    ("1e3", 400, "invalid_account"), ("9" * 30, 400, "invalid_account"), (" ", 400, "invalid_account"),
    ("007", 400, "invalid_account"), ("999999", 404, "unknown_account"),
])
def test_malformed_or_unknown_accounts_are_clear_errors(client, world: World, value, status, code):
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    for kwargs in ({"query_string": {"account": value}}, {"headers": {**headers, "X-WeChat-Account": value}}):
        response = client.get("/api/contacts", **{"headers": headers, **kwargs})
        assert response.status_code == status and response.json["code"] == code, (kwargs, response.json)
        if status == 400:
            assert response.json["field"] in ("account", "X-WeChat-Account")


def test_header_and_query_must_agree(client, world: World):
    headers = {"Authorization": f"Bearer {world.token('owner')}", "X-WeChat-Account": str(world.a.id)}
    assert client.get("/api/contacts", headers=headers, query_string={"account": world.b.id}).status_code == 400
    same = client.get("/api/contacts", headers=headers, query_string={"account": world.a.id})
    assert same.status_code == 200


def test_a_read_token_of_an_operator_cannot_write(client, world: World):
    """A token never exceeds its admin, and its scope narrows further: read scope + operator = viewer."""
    headers = {"Authorization": f"Bearer {world.token('operator', scope='read')}"}
    response = client.post("/api/schedules", headers=headers, json={})
    assert response.status_code == 403 and response.json["code"] == "scope"
    assert client.get("/api/schedules", headers=headers).status_code == 200


def test_owners_manage_roles_and_grants(client, world: World):
    owner = {"Authorization": f"Bearer {world.token('owner')}"}
    viewer_id = world.admins["viewer"].id
    assert client.get(f"/api/admins/{viewer_id}/grants", headers=owner).json == {
        "admin_id": viewer_id, "role": "member", "grants": [{"account_id": world.a.id, "role": "viewer"}]}
    changed = client.put(f"/api/admins/{viewer_id}/grants", headers=owner, json={
        "role": "member", "grants": [{"account_id": world.a.id, "role": "operator"},
                                     {"account_id": world.b.id, "role": "viewer"}]})
    assert changed.status_code == 200, changed.json
    viewer = {"Authorization": f"Bearer {world.token('viewer')}"}
    assert client.get("/api/contacts", headers=viewer, query_string={"account": world.b.id}).status_code == 200
    refused = client.delete(f"/api/schedules/{world.schedules['b']}", headers=viewer,
                            query_string={"account": world.b.id})
    assert refused.status_code == 403 and refused.json["code"] == "role"
    for body, field in (({"role": "member", "grants": [{"account_id": 999999, "role": "viewer"}]}, "grants"),
                        ({"role": "member", "grants": [{"account_id": world.a.id, "role": "owner"}]}, None),
                        ({"role": "boss", "grants": []}, "role")):
        bad = client.put(f"/api/admins/{viewer_id}/grants", headers=owner, json=body)
        assert bad.status_code == 400, bad.json
        assert field is None or bad.json["field"] == field, bad.json
    me = client.put(f"/api/admins/{world.admins['owner'].id}/grants", headers=owner,
                    json={"role": "member", "grants": []})
    assert me.status_code == 400 and me.json["code"] == "self"
    # A member cannot manage grants, not even their own.
    operator = {"Authorization": f"Bearer {world.token('operator')}"}
    assert client.put(f"/api/admins/{world.admins['operator'].id}/grants", headers=operator,
                      json={"role": "owner", "grants": []}).status_code == 403
