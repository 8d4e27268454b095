"""A plugin's `wanted(account_id)`: the message loop asks it before starting a call, so a plugin with nothing to do
on an account (autoreply without a rule) costs no greenlet, app context or session per message."""

from __future__ import annotations

import pytest

from plugins.autoreply import AutoReplyPlugin
from wechat.plugins.handler import wanted
from wechat.plugins.spec import PluginInvalid, spec_from_object


def plugin(**attributes):
    return type("P", (), {"name": "p", "main": classmethod(lambda cls, msg: None), **attributes})


def test_wanted_is_optional_and_must_be_callable():
    assert spec_from_object(plugin(), "test").wanted is None
    check = spec_from_object(plugin(wanted=staticmethod(lambda account_id: account_id == 7)), "test")
    assert wanted(check, 7) is True and wanted(check, 8) is False
    with pytest.raises(PluginInvalid, match="wanted"):
        spec_from_object(plugin(wanted="yes"), "test")


def test_a_check_that_raises_counts_as_wanted(caplog):
    def broken(account_id):
        raise RuntimeError("boom")

    spec = spec_from_object(plugin(wanted=staticmethod(broken)), "test")
    assert wanted(spec, 1) is True
    assert "wanted(1) raised" in caplog.text
    assert wanted(spec_from_object(plugin(), "test"), 1) is True


def test_autoreply_is_wanted_while_its_account_has_an_enabled_rule(client, api_token, account):
    headers = {"Authorization": f"Bearer {api_token}"}
    spec = spec_from_object(AutoReplyPlugin, "builtin")
    assert wanted(spec, account.id) is False
    created = client.post("/api/autoreplies", headers=headers, json={"mode": "exact", "pattern": "价格", "reply": "9"})
    assert created.status_code == 201, created.json
    assert wanted(spec, account.id) is True
    rule = created.json["item"]["id"]
    assert client.put(f"/api/autoreplies/{rule}", headers=headers, json={"enabled": False}).status_code == 200
    assert wanted(spec, account.id) is False
