"""Auto-reply rules and plugin switches are cached in the bot's process: no SQL per message, yet an edit applies to
the next message — at once in the process that made it, at the next batch in the others (through Redis)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from extensions import db
from libs.redis_client import get_redis
from wechat import autoreply
from wechat.plugins import config_cache, registry


@pytest.fixture
def api(client, api_token):
    def call(method, path, **kwargs):
        response = client.open(path, method=method, headers={"Authorization": f"Bearer {api_token}"}, **kwargs)
        assert response.status_code < 300, response.json
        return response.json

    return call


@pytest.fixture
def queries(app):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def replies(account_id: int) -> list[str]:
    return [rule.reply for rule in autoreply.cached_rules(account_id)]


def test_rules_cost_no_query_until_an_edit_which_applies_at_once(api, account, queries):
    rule = api("POST", "/api/autoreplies", json={"mode": "exact", "pattern": "价格", "reply": "99元"})["item"]
    assert replies(account.id) == ["99元"]
    queries.clear()
    for _ in range(50):  # fifty messages
        assert replies(account.id) == ["99元"]
    assert queries == []
    version = get_redis().get(config_cache.VERSION_KEY)
    api("PUT", f"/api/autoreplies/{rule['id']}", json={"reply": "88元"})
    assert int(get_redis().get(config_cache.VERSION_KEY)) == int(version) + 1  # the other processes are told
    assert replies(account.id) == ["88元"]
    api("PUT", f"/api/autoreplies/{rule['id']}", json={"enabled": False})
    assert replies(account.id) == []
    api("POST", "/api/autoreplies", json={"mode": "contains", "pattern": "地址", "reply": "北京"})
    api("DELETE", f"/api/autoreplies/{rule['id']}")
    assert replies(account.id) == ["北京"]


def test_a_change_made_by_another_process_is_seen_after_the_next_refresh(app, account):
    client = get_redis()
    config_cache.refresh(client)
    rule = autoreply.AutoReplyRule(account_id=account.id, mode="exact", pattern="a", reply="old")
    db.session.add(rule)
    db.session.commit()
    assert replies(account.id) == ["old"]
    # Another process (the web) edits the row and bumps the shared version; this process's generation is unchanged.
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as other:
        other.execute("UPDATE autoreply_rules SET reply = 'new'")
    client.incr(config_cache.VERSION_KEY)
    assert replies(account.id) == ["old"]  # until the dispatcher's next batch reads the version
    config_cache.refresh(client)
    db.session.commit()  # each message has a session of its own; this test's one still holds the old row
    assert replies(account.id) == ["new"]


def test_a_plugin_switched_off_is_left_out_of_the_next_message(api, app, queries):
    enabled = {spec.name for spec, _ in registry.enabled_plugins(app)}
    assert "help" in enabled
    queries.clear()
    registry.enabled_plugins(app)
    assert queries == []
    api("PUT", "/api/plugins/help", json={"enabled": False})
    assert "help" not in {spec.name for spec, _ in registry.enabled_plugins(app)}


def test_a_rolled_back_change_bumps_nothing(app, account):
    client = get_redis()
    before = client.get(config_cache.VERSION_KEY)
    db.session.add(autoreply.AutoReplyRule(account_id=account.id, mode="exact", pattern="a", reply="b"))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert client.get(config_cache.VERSION_KEY) == before
