"""Two accounts with data in one database: each request sees only its account's rows, however it names it."""

from __future__ import annotations

import pytest

from extensions import db
from models.audit import AuditLog
from tests.accounts.conftest import PASSWORD, World
from tests.conftest import csrf_token_from, log_in

# Each account-owned list, and how to read the account's tag ("a"/"b") out of an item.
LISTS = {
    "/api/contacts": lambda item: item["puid"].split("-")[0],
    "/api/groups": lambda item: item["puid"].split("-")[0],
    "/api/mps": lambda item: item["puid"].split("-")[0],
    "/api/messages": lambda item: item["chat_puid"].split("-")[0],
    "/api/chats": lambda item: item["puid"].split("-")[0],
    "/api/jobs": lambda item: item["text"].split()[-1] if "text" in item else str(item["account_id"]),
    "/api/schedules": lambda item: item["name"].split()[-1],
    "/api/autoreplies": lambda item: item["pattern"].split()[-1],
}


def _tags(client, path, **kwargs) -> set[str]:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.json)
    return {LISTS[path](item) for item in response.json["items"]}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_each_list_shows_only_the_named_account(client, world: World, path):
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    ids = {"a": world.a.id, "b": world.b.id}
    for tag in ("a", "b"):
        expected = {tag} if path != "/api/jobs" else {str(ids[tag])}
        by_query = _tags(client, path, headers=headers, query_string={"account": ids[tag]})
        by_header = _tags(client, path, headers={**headers, "X-WeChat-Account": str(ids[tag])})
        assert by_query == by_header == expected, (path, tag)


def test_rows_of_another_account_are_not_found_through_this_one(client, world: World):
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    on_b = {"account": world.b.id}
    assert client.get(f"/api/jobs/{world.jobs['a']}", headers=headers, query_string=on_b).status_code == 404
    assert client.get(f"/api/jobs/{world.jobs['b']}", headers=headers, query_string=on_b).status_code == 200
    assert client.get(f"/api/schedules/{world.schedules['a']}", headers=headers,
                      query_string=on_b).status_code == 404
    assert client.delete(f"/api/autoreplies/{world.rules['a']}", headers=headers,
                         query_string=on_b).status_code == 404
    assert client.get(f"/api/groups/{world.groups['a']}/members", headers=headers,
                      query_string=on_b).status_code == 404
    names = client.get("/api/names", headers=headers, query_string={**on_b, "puid": ["a-friend", "b-friend"]})
    assert set(names.json["items"]) == {"b-friend"}
    assert client.get("/api/overview", headers=headers, query_string=on_b).json["counts"]["friends"] == 1


def test_the_fallback_is_the_most_recent_account_as_before(client, world: World):
    """No account named, no switcher choice: the account logged in most recently (A), exactly as before."""
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    assert _tags(client, "/api/contacts", headers=headers) == {"a"}
    assert _tags(client, "/api/schedules", headers=headers) == {"a"}


def test_writes_land_in_the_named_account_and_its_audit(client, world: World):
    headers = {"Authorization": f"Bearer {world.token('operator')}"}
    created = client.post("/api/autoreplies", headers=headers, query_string={"account": world.a.id},
                          json={"pattern": "new rule", "reply": "ok", "mode": "exact", "scope": "friends"})
    assert created.status_code == 201, created.json
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "autoreply.create")).scalar_one()
    assert entry.account_id == world.a.id
    # The viewer of A reads A's audit entry; the same entry is not shown for B, even to an owner.
    viewer = {"Authorization": f"Bearer {world.token('viewer')}"}
    assert [item["action"] for item in client.get("/api/audit", headers=viewer).json["items"]] == ["autoreply.create"]
    owner = {"Authorization": f"Bearer {world.token('owner')}"}
    on_b = client.get("/api/audit", headers=owner, query_string={"account": world.b.id}).json["items"]
    assert "autoreply.create" not in [item["action"] for item in on_b]


def test_the_switcher_choice_holds_for_the_session(client, world: World):
    assert log_in(client, "operator-a", PASSWORD).status_code == 302
    csrf = {"X-CSRFToken": csrf_token_from(client, "/admins")}
    assert _tags(client, "/api/contacts") == {"a"}
    refused = client.post("/api/accounts/current", headers=csrf, json={"account_id": world.b.id})
    assert refused.status_code == 404  # not theirs: the same answer as an account that does not exist
    assert _tags(client, "/api/contacts") == {"a"}
    client.post("/logout", data={"csrf_token": csrf["X-CSRFToken"]})
    assert log_in(client).status_code == 302  # root, the owner
    csrf = {"X-CSRFToken": csrf_token_from(client, "/admins")}
    chosen = client.post("/api/accounts/current", headers=csrf, json={"account_id": world.b.id})
    assert chosen.status_code == 200 and chosen.json["account"]["current"] is True
    assert _tags(client, "/api/contacts") == {"b"}
    assert _tags(client, "/api/messages") == {"b"}
    listed = client.get("/api/accounts").json["items"]
    assert [(item["nick_name"], item["current"]) for item in listed] == [("Account A", False), ("Account B", True)]
    # A request that names an account still wins over the session's choice.
    assert _tags(client, "/api/contacts", query_string={"account": world.a.id}) == {"a"}
    page = client.get("/contacts").get_data(as_text=True)
    assert f'data-account="{world.b.id}"' in page and 'id="account-switch"' in page


def test_a_token_has_no_session_to_choose_in(client, world: World):
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    response = client.post("/api/accounts/current", headers=headers, json={"account_id": world.b.id})
    assert response.status_code == 400 and response.json["code"] == "session_only"


def test_the_overview_lists_each_visible_account_with_its_figures(client, world: World):
    owner = client.get("/api/accounts/overview", headers={"Authorization": f"Bearer {world.token('owner')}"})
    figures = {item["nick_name"]: item for item in owner.json["items"]}
    assert set(figures) == {"Account A", "Account B"}
    for item in figures.values():
        assert item["messages_today"] == 1 and item["failing_jobs"] == 1
    # The bot runs (at most) A, the most recent account, and no listener beats here; B has no live state at all.
    assert figures["Account A"]["listener_healthy"] is False and figures["Account B"]["listener_healthy"] is None
    assert figures["Account B"]["login_state"] == "not_connected"
    viewer = client.get("/api/accounts/overview", headers={"Authorization": f"Bearer {world.token('viewer')}"})
    assert [item["nick_name"] for item in viewer.json["items"]] == ["Account A"]


def test_commands_for_an_account_the_bot_does_not_run_are_refused(client, world: World):
    """The bot runs (at most) the most recent account, A: a send for B must never go out from A."""
    headers = {"Authorization": f"Bearer {world.token('owner')}"}
    response = client.post("/api/messages/send", headers=headers, query_string={"account": world.b.id},
                           json={"to": ["b-friend"], "text": "hi"})
    assert response.status_code == 409 and response.json["code"] == "not_connected"
    status = client.get("/api/status", headers=headers, query_string={"account": world.b.id}).json
    assert status["login"]["state"] == "not_connected" and status["account"] is None


def test_a_fresh_installation_shows_the_live_state_as_before(client, api_token):
    """No account yet: nothing to compare the bot with, so the status is the listener's own (not `not_connected`)."""
    status = client.get("/api/status", headers={"Authorization": f"Bearer {api_token}"}).json
    assert status["login"]["state"] != "not_connected"


def test_a_withdrawn_grant_ends_the_switchers_choice_quietly(client, world: World):
    from models.admin import AccountGrant

    operator = world.admins["operator"]
    db.session.add(AccountGrant(admin_id=operator.id, account_id=world.b.id, role="viewer"))
    db.session.commit()
    assert log_in(client, "operator-a", PASSWORD).status_code == 302
    csrf = {"X-CSRFToken": csrf_token_from(client, "/admins")}
    assert client.post("/api/accounts/current", headers=csrf, json={"account_id": world.b.id}).status_code == 200
    assert _tags(client, "/api/contacts") == {"b"}
    db.session.execute(db.delete(AccountGrant).where(AccountGrant.admin_id == operator.id,
                                                     AccountGrant.account_id == world.b.id))
    db.session.commit()
    assert _tags(client, "/api/contacts") == {"a"}  # back to the fallback, never B's rows, never an error
