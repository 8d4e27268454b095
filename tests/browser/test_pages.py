"""The dashboard without a browser: every page renders in both languages, the catalogue is complete, and the
small JSON endpoints of views/pages.py (audit log, admins, API tokens, password) behave."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from libs.i18n import JS_STRINGS, normalize_language
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from views.dashboard import PAGE_STRINGS, PAGES

CATALOG = Path(__file__).resolve().parents[2] / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def test_catalog_is_complete_and_compiled():
    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle)
    with open(CATALOG / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, untranslated
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, \
        "messages.mo is stale: run pybabel compile -d translations"
    strings = [*JS_STRINGS.values(), *PAGE_STRINGS.values()]
    # A lazy gettext holds (msgid,), a lazy pgettext (context, msgid): look each up with its context.
    missing = [str(value._args[-1]) for value in strings
               if po.get(str(value._args[-1]), context=str(value._args[0]) if len(value._args) == 2 else None) is None]
    assert not missing, missing
    assert not set(JS_STRINGS) & set(PAGE_STRINGS), "a page string shadows a libs/i18n.py one"


@pytest.mark.parametrize("value, expected", [("zh-CN", "zh_CN"), ("zh_cn", "zh_CN"), ("en-US", "en"),
                                             ("fr", None), ("", None), (None, None)])
def test_normalize_language(value, expected):
    assert normalize_language(value) == expected


@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_every_page_renders_in_both_languages(logged_in, endpoint):
    path = PAGES[endpoint][0]
    chinese = logged_in.get(path)
    assert chinese.status_code == 200
    body = chinese.get_data(as_text=True)
    assert '<html lang="zh-CN">' in body and "概览" in body
    assert "<script>" not in body and " style=" not in body  # CSP: no inline scripts or style attributes
    logged_in.set_cookie("lang", "en")
    english = logged_in.get(path).get_data(as_text=True)
    assert '<html lang="en">' in english and "Overview" in english


def test_pages_need_a_signed_in_admin(client):
    response = client.get("/contacts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_messages_are_translated(client, admin):
    token = csrf_token_from(client)
    wrong = client.post("/login", data={"username": "root", "password": "nope", "csrf_token": token})
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    client.set_cookie("lang", "en")
    wrong = client.post("/login", data={"username": "root", "password": "nope", "csrf_token": token})
    assert "Wrong username or password" in wrong.get_data(as_text=True)


def _csrf(client) -> dict:
    return {"X-CSRFToken": csrf_token_from(client, "/")}


def test_audit_log_is_paged_and_searchable(logged_in):
    body = logged_in.get("/api/audit?per_page=1").json
    assert body["total"] == 1 and body["items"][0]["action"] == "admin.login"
    assert logged_in.get("/api/audit?q=nothing-like-this").json["total"] == 0
    assert logged_in.get("/api/audit?page=x").status_code == 400


def test_tokens_are_shown_once_and_revocable(logged_in, app):
    client = app.test_client()  # no session cookie: the token alone
    headers = _csrf(logged_in)
    created = logged_in.post("/api/tokens", json={"name": "monitoring"}, headers=headers)
    assert created.status_code == 201
    clear, token_id = created.json["clear"], created.json["token"]["id"]
    listed = logged_in.get("/api/tokens").json["items"]
    assert [t["name"] for t in listed] == ["monitoring"] and "clear" not in listed[0]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 200
    assert logged_in.delete(f"/api/tokens/{token_id}", headers=headers).json["token"]["revoked_at"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401
    assert logged_in.post("/api/tokens", json={"name": " "}, headers=headers).status_code == 400
    assert logged_in.delete("/api/tokens/999", headers=headers).status_code == 404


def test_admins_listed_and_password_changed(logged_in):
    admins = logged_in.get("/api/admins").json["items"]
    assert [(a["username"], a["is_me"]) for a in admins] == [("root", True)]
    headers = _csrf(logged_in)
    wrong = logged_in.post("/api/me/password", json={"current": "bad", "new": "a long new password"}, headers=headers)
    assert wrong.status_code == 403
    short = logged_in.post("/api/me/password", json={"current": ADMIN_PASSWORD, "new": "short"}, headers=headers)
    assert short.status_code == 400
    done = logged_in.post("/api/me/password", json={"current": ADMIN_PASSWORD, "new": "a long new password"},
                          headers=headers)
    assert done.status_code == 200
    assert logged_in.post("/api/tokens", json={"name": "x"}).status_code == 400  # no CSRF header: refused
