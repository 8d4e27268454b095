"""Settings: validation names the field, defaults merge, storage; and the settings/blacklist API."""

import pytest

from extensions import db
from libs.validation import ValueInvalid
from models.audit import AuditLog
from models.wechat import Account, Contact
from wechat import control
from wechat.automation import settings
from wechat.automation.settings import effective, validate


@pytest.mark.parametrize("changes, field", [
    ({"auto_accept": "yes"}, "auto_accept"),
    ({"kick_quorum": 1}, "kick_quorum"),
    ({"kick_quorum": True}, "kick_quorum"),
    ({"kick_period_minutes": 0}, "kick_period_minutes"),
    ({"group_patterns": [["python"]]}, "group_patterns[0]"),
    ({"group_patterns": [["", "x{}"]]}, "group_patterns[0][0]"),
    ({"group_patterns": [["python", "Python群"]]}, "group_patterns[0][1]"),
    ({"group_patterns": [["python", "P{}{}"]]}, "group_patterns[0][1]"),
    ({"group_patterns": [["a", "A{}"], ["A", "B{}"]]}, "group_patterns"),
    ({"group_creators": ["only-one"]}, "group_creators"),
    ({"group_creators": ["a", "a"]}, "group_creators"),
    ({"welcome_text": "欢迎 {nick}"}, "welcome_text"),
    ({"kick_text": "{member} {current"}, "kick_text"),
    ({"invite_text": 3}, "invite_text"),
    ({"mp_forwarding": [{"mp": "m"}]}, "mp_forwarding[0].groups"),
    ({"mp_forwarding": [{"mp": "m", "groups": [""]}]}, "mp_forwarding[0].groups[0]"),
    ({"relay_sets": [["a"]]}, "relay_sets[0]"),
    ({"nonsense": 1}, "nonsense"),
])
def test_invalid_settings_name_the_field(changes, field):
    with pytest.raises(ValueInvalid) as caught:
        validate(changes)
    assert caught.value.field == field


def test_valid_settings_are_normalized_and_defaults_merge():
    changes = validate({"group_patterns": [[" python ", "Python✌{}群"]], "kick_quorum": 2,
                        "welcome_text": "@{name} 你好 {{不是占位符}}", "relay_sets": [["a", "b", "c"]]})
    assert changes["group_patterns"] == [["python", "Python✌{}群"]]
    merged = effective({**changes, "old_removed_setting": 1})
    assert merged["kick_quorum"] == 2 and merged["kick_period_minutes"] == settings.DEFAULTS["kick_period_minutes"]
    assert "old_removed_setting" not in merged
    for name, allowed in settings.TEXT_FIELDS.items():  # the defaults themselves pass validation
        validate({name: settings.DEFAULTS[name]})
        settings.DEFAULTS[name].format(**dict.fromkeys(allowed, "x"))


def log_in_as(app, puid="bot-puid", nick="机器人🤖"):
    state = control.bot_state(app)
    state.acquire("test-listener", 60)  # only the lease holder writes the login state
    state.set_login("logged_in", puid=puid, nick_name=nick)


def test_settings_api_round_trip_audit_and_errors(app, client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    fresh = client.get("/api/settings/automation", headers=headers)
    assert fresh.status_code == 200 and fresh.json["account"] is None
    assert fresh.json["settings"] == settings.DEFAULTS
    assert client.put("/api/settings/automation", json={"kick_quorum": 3}, headers=headers).status_code == 409
    log_in_as(app)
    bad = client.put("/api/settings/automation", json={"kick_quorum": 1}, headers=headers)
    assert bad.status_code == 400 and bad.json["field"] == "kick_quorum" and "kick_quorum" in bad.json["error"]
    ok = client.put("/api/settings/automation", headers=headers,
                    json={"kick_quorum": 3, "group_patterns": [["python", "Python✌{}群"]]})
    assert ok.status_code == 200, ok.json
    assert ok.json["changed"] == ["group_patterns", "kick_quorum"] and ok.json["updated_by"] == "root"
    again = client.put("/api/settings/automation", json={"auto_accept": False}, headers=headers).json
    assert again["settings"]["kick_quorum"] == 3 and again["settings"]["auto_accept"] is False  # partial update
    assert client.get("/api/settings/automation", headers=headers).json["settings"] == again["settings"]
    audits = db.session.execute(db.select(AuditLog).where(AuditLog.action == "automation.settings")).scalars().all()
    assert [a.detail["changed"] for a in audits] == [["group_patterns", "kick_quorum"], ["auto_accept"]]
    assert client.put("/api/settings/automation", data="[]", content_type="application/json",
                      headers=headers).status_code == 400


def test_blacklist_api(app, client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    log_in_as(app)
    assert client.get("/api/blacklist", headers=headers).json == {"items": []}
    added = client.post("/api/blacklist", json={"puid": "abc123", "nick_name": "坏人"}, headers=headers)
    assert added.status_code == 201 and added.json["item"]["puid"] == "abc123"
    account = db.session.execute(db.select(Account).where(Account.puid == "bot-puid")).scalar_one()
    contact = db.session.execute(db.select(Contact).where(Contact.puid == "abc123")).scalar_one()
    assert contact.account_id == account.id and contact.is_blacklisted
    assert [i["nick_name"] for i in client.get("/api/blacklist", headers=headers).json["items"]] == ["坏人"]
    assert client.post("/api/blacklist", json={}, headers=headers).status_code == 400
    assert client.delete("/api/blacklist/abc123", headers=headers).status_code == 200
    assert client.delete("/api/blacklist/abc123", headers=headers).status_code == 404
    assert client.get("/api/blacklist", headers=headers).json == {"items": []}
    assert client.get("/api/blacklist").status_code == 401
