"""GET/PUT /api/plugins and the /api/autoreplies CRUD, on a migrated database (no worker needed)."""

import pytest

from extensions import db
from models.audit import AuditLog


@pytest.fixture
def api(client, api_token, monkeypatch):
    monkeypatch.delenv("PLUGIN_LLM_API_KEY", raising=False)

    def call(method, path, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {api_token}"}, **kwargs)

    return call


def by_name(response):
    return {item["name"]: item for item in response.json["items"]}


def test_list_update_and_mask(api, app):
    app.config["OUTBOUND_ALLOW_HOSTS"] = "127.0.0.1"  # OUTBOUND_ALLOW_HOSTS in the environment, as an operator would
    items = by_name(api("GET", "/api/plugins"))
    assert items["help"]["enabled"] and not items["llm"]["enabled"]
    assert items["llm"]["secrets"]["api_key"] == {"set": False, "source": None, "env": "PLUGIN_LLM_API_KEY"}
    response = api("PUT", "/api/plugins/llm", json={"enabled": True, "settings": {
        "api_key": "sk-very-secret-key-0042", "base_url": "http://127.0.0.1:9/v1", "memory_turns": 2}})
    assert response.status_code == 200, response.json
    item = response.json["item"]
    assert item["enabled"] and item["settings"]["api_key"] == "****0042" and item["settings"]["memory_turns"] == 2
    assert "sk-very-secret" not in response.get_data(as_text=True)
    assert "sk-very-secret" not in api("GET", "/api/plugins").get_data(as_text=True)
    # The mask sent back keeps the key; the audit log never holds it.
    api("PUT", "/api/plugins/llm", json={"settings": {"api_key": "****0042", "model": "m"}})
    from models.plugin import PluginConfig

    stored = db.session.execute(db.select(PluginConfig).where(PluginConfig.name == "llm")).scalar_one()
    assert stored.settings["api_key"] == "sk-very-secret-key-0042" and stored.settings["model"] == "m"
    audits = db.session.execute(db.select(AuditLog).where(AuditLog.action == "plugin.update")).scalars().all()
    assert len(audits) == 2 and all("sk-very" not in str(a.detail) for a in audits)


@pytest.mark.parametrize("body, status, needle", [
    ({"enabled": "yes"}, 400, "enabled"),
    ({"settings": {"nope": 1}}, 400, "settings.nope"),
    ({"settings": {"memory_turns": "2"}}, 400, "whole number"),
    ({"settings": {"base_url": "ftp://x"}}, 400, "base_url"),
    ({"settings": {"base_url": "http://127.0.0.1:8200/v1"}}, 400, "loopback"),
    ({"other": 1}, 400, "unknown field"),
])
def test_update_errors(api, body, status, needle):
    response = api("PUT", "/api/plugins/llm", json=body)
    assert response.status_code == status and needle in response.json["error"], response.json


def test_unknown_plugin_is_404(api):
    assert api("PUT", "/api/plugins/nope", json={"enabled": True}).status_code == 404


def test_autoreply_crud(api, account):
    assert api("GET", "/api/autoreplies").json == {"items": []}
    created = api("POST", "/api/autoreplies", json={"mode": "regex", "pattern": r"^订单\d+$", "reply": "已收到",
                                                      "scope": "chosen", "group_puids": ["g1"]})
    assert created.status_code == 201, created.json
    rule = created.json["item"]
    assert rule["require_at"] and rule["enabled"] and rule["group_puids"] == ["g1"]
    bad = api("POST", "/api/autoreplies", json={"mode": "regex", "pattern": "(", "reply": "x"})
    assert bad.status_code == 400 and bad.json["field"] == "pattern"
    updated = api("PUT", f"/api/autoreplies/{rule['id']}", json={"reply": "好的", "require_at": False})
    assert updated.json["item"]["reply"] == "好的" and not updated.json["item"]["require_at"]
    assert api("PUT", f"/api/autoreplies/{rule['id']}", json={"group_puids": []}).status_code == 400
    assert api("DELETE", f"/api/autoreplies/{rule['id']}").status_code == 200
    assert api("DELETE", f"/api/autoreplies/{rule['id']}").status_code == 404
    assert api("GET", "/api/autoreplies").json == {"items": []}


def test_autoreply_needs_an_account(api):
    assert api("POST", "/api/autoreplies", json={"mode": "exact", "pattern": "a", "reply": "b"}).status_code == 409


@pytest.mark.parametrize("pattern", ["a{10000000}", "(?:a{1000}){1000}", "(a+)+$", "a" * 501])
def test_autoreply_regex_bombs_are_400_with_the_field(api, account, pattern):
    response = api("POST", "/api/autoreplies", json={"mode": "regex", "pattern": pattern, "reply": "x"})
    assert response.status_code == 400 and response.json["field"] == "pattern", response.json
    if len(pattern) > 500:
        return
    created = api("POST", "/api/autoreplies", json={"mode": "exact", "pattern": pattern, "reply": "x"})
    changed = api("PUT", f"/api/autoreplies/{created.json['item']['id']}", json={"mode": "regex"})
    assert changed.status_code == 400 and changed.json["field"] == "pattern", changed.json


def test_a_stored_regex_rule_that_fails_the_check_is_not_loaded(app, account):
    from models.plugin import AutoReplyRule
    from wechat.autoreply import load_rules

    db.session.add_all([AutoReplyRule(account_id=account.id, mode="regex", pattern="a{10000000}", reply="x"),
                        AutoReplyRule(account_id=account.id, mode="regex", pattern="ok", reply="y")])
    db.session.commit()
    assert [rule.pattern for rule in load_rules(account.id)] == ["ok"]


def effective_llm(spec) -> dict:
    from wechat.plugins import registry
    from wechat.plugins.settings import effective

    db.session.expire_all()
    return effective(spec, registry.configs()["llm"].settings)


@pytest.mark.parametrize("base_url", [
    "http://127.0.0.1:6379/v1", "http://localhost/v1", "http://10.1.2.3/v1", "http://192.168.1.1/", "http://[::1]/",
    "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "http://2130706433/", "http://0x7f.1/", "http://017700000001/",
    "http://100.100.100.200/", "http://0.0.0.0:8100/", "file:///etc/passwd", "gopher://8.8.8.8/",
    "http://user:pw@8.8.8.8/", "http://8.8.8.8/v1\r\nX-Injected: 1",
])
def test_private_or_odd_llm_base_urls_are_400(api, base_url):
    response = api("PUT", "/api/plugins/llm", json={"settings": {"base_url": base_url, "api_key": "sk-x-0123456789"}})
    assert response.status_code == 400 and response.json["field"] == "settings.base_url", response.json
    assert "sk-x" not in response.get_data(as_text=True)


def test_the_environment_key_goes_only_to_the_environment_base_url(api, app, monkeypatch):
    from wechat.plugins import registry

    monkeypatch.setenv("PLUGIN_LLM_API_KEY", "sk-env-key-0123456789")
    monkeypatch.setenv("PLUGIN_LLM_BASE_URL", "https://8.8.8.8/v1")
    spec = registry.loaded(app).plugins["llm"]
    assert by_name(api("GET", "/api/plugins"))["llm"]["secrets"]["api_key"]["source"] == "environment"
    moved = api("PUT", "/api/plugins/llm", json={"settings": {"base_url": "https://1.1.1.1/v1"}})
    assert moved.status_code == 200, moved.json
    assert moved.json["item"]["secrets"]["api_key"] == {"set": False, "source": None, "env": "PLUGIN_LLM_API_KEY"}
    assert effective_llm(spec)["api_key"] == ""
    back = api("PUT", "/api/plugins/llm", json={"settings": {"base_url": "https://8.8.8.8/v1/"}})
    assert back.json["item"]["secrets"]["api_key"]["source"] == "environment"


def test_a_stored_key_does_not_follow_a_changed_base_url(api, app):
    from wechat.plugins import registry

    spec = registry.loaded(app).plugins["llm"]
    api("PUT", "/api/plugins/llm", json={"settings": {"base_url": "https://8.8.8.8/v1", "api_key": "sk-mine-0123456"}})
    assert effective_llm(spec)["api_key"] == "sk-mine-0123456"
    api("PUT", "/api/plugins/llm", json={"settings": {"model": "m2", "api_key": "****3456"}})  # unrelated change
    assert effective_llm(spec)["api_key"] == "sk-mine-0123456"
    # Someone points the plugin elsewhere, even sending the mask back: the stored key is dropped.
    api("PUT", "/api/plugins/llm", json={"settings": {"base_url": "https://1.1.1.1/v1", "api_key": "****3456"}})
    assert effective_llm(spec)["api_key"] == ""
