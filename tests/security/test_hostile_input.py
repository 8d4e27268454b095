"""The hostile-input catalogue (docs/RELIABILITY.md): every case gets a clear 4xx JSON error (or is handled
harmlessly), nothing is stored wrongly, and no request produces a 500. In-process against the real app, its
migrated database and our Redis; no WeChat login is needed for any of them."""

from __future__ import annotations

import io
import time

import pytest

from extensions import db
from models.admin import ApiToken
from models.send_job import SendJob
from models.types import utcnow
from tests.conftest import csrf_token_from, log_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LONG = "x" * 100_000
REDOS = "(a+)+$" + "a" * 5000 + "!"

# (id, method, path, json body, expected status, text the error must contain)
JSON_CASES = [
    ("send-not-json", "POST", "/api/messages/send", "not json", 415, "JSON"),
    ("send-json-array", "POST", "/api/messages/send", ["a"], 400, "object"),
    ("send-missing-to", "POST", "/api/messages/send", {"text": "x"}, 400, "'to'"),
    ("send-to-string", "POST", "/api/messages/send", {"to": "a", "text": "x"}, 400, "list"),
    ("send-to-ints", "POST", "/api/messages/send", {"to": [1, 2], "text": "x"}, 400, "list"),
    ("send-to-empty", "POST", "/api/messages/send", {"to": [], "text": "x"}, 400, "recipient"),
    ("send-to-5001", "POST", "/api/messages/send", {"to": [f"p{i}" for i in range(5001)], "text": "x"}, 400,
     "5000"),
    ("send-text-huge", "POST", "/api/messages/send", {"to": ["a"], "text": LONG}, 400, "text"),
    ("send-text-number", "POST", "/api/messages/send", {"to": ["a"], "text": 5}, 400, "text"),
    ("send-nothing", "POST", "/api/messages/send", {"to": ["a"], "text": "  "}, 400, "nothing to send"),
    ("send-files-10", "POST", "/api/messages/send", {"to": ["a"], "files": ["f"] * 10}, 400, "files"),
    ("send-upload-traversal", "POST", "/api/messages/send", {"to": ["a"], "text": "x",
                                                              "files": ["../../etc/passwd"]}, 400, "unknown upload"),
    ("send-upload-nul", "POST", "/api/messages/send", {"to": ["a"], "text": "x", "files": ["a\x00b"]}, 400,
     "NUL"),  # refused with the body, before any lookup
    ("sync-missing-what", "POST", "/api/sync", {}, 400, "'what'"),
    ("sync-bad-what", "POST", "/api/sync", {"what": "'; DROP TABLE messages; --"}, 400, "'what'"),
    ("group-41-members", "POST", "/api/wechat/groups", {"members": [f"m{i}" for i in range(41)]}, 400, "members"),
    ("group-blank-members", "POST", "/api/wechat/groups", {"members": ["", " "]}, 400, "members"),
    ("group-topic-huge", "POST", "/api/wechat/groups", {"members": ["a", "b"], "topic": LONG}, 400, "topic"),
    ("group-members-object", "POST", "/api/wechat/groups/x/members", {"members": {"a": 1}}, 400, "members"),
    ("remark-too-long", "PUT", "/api/wechat/contacts/p/remark", {"remark": "r" * 61}, 400, "remark"),
    ("remark-wrong-type", "PUT", "/api/wechat/contacts/p/remark", {"remark": ["r"]}, 400, "remark"),
    ("friend-bool-puid", "POST", "/api/wechat/friends", {"puid": True}, 400, "puid"),
    ("accept-unknown-request", "POST", "/api/wechat/friend_requests/nope/accept", {}, 404, "friend request"),
    ("blacklist-empty-puid", "POST", "/api/blacklist", {"puid": "   "}, 400, "puid"),
    ("blacklist-puid-number", "POST", "/api/blacklist", {"puid": 42}, 400, "puid"),
    ("settings-not-object", "PUT", "/api/settings/automation", [1, 2], 400, "object"),
    ("token-missing-name", "POST", "/api/tokens", {}, 400, "name"),
    ("password-wrong-types", "POST", "/api/me/password", {"current": 1, "new": 2}, 400, "current"),
]

# (id, path, expected status, text the error must contain or None for a harmless 200)
QUERY_CASES = [
    ("page-negative", "/api/contacts?page=-1", 400, "page"),
    ("page-zero", "/api/groups?page=0", 400, "page"),
    ("page-huge", "/api/contacts?page=99999999999999999999", 400, "page"),
    ("per-page-huge", "/api/messages?per_page=100000", 400, "per_page"),
    ("per-page-text", "/api/mps?per_page=abc", 400, "per_page"),
    ("search-too-long", "/api/contacts?q=" + "a" * 101, 400, "too long"),
    ("message-type-unknown", "/api/messages?type=<script>", 400, "type"),
    ("since-garbage", "/api/messages?since=yesterday", 400, "since"),
    ("since-after-until", "/api/messages?since=2030-01-02&until=2030-01-01", 400, "after"),
    ("chat-id-too-long", "/api/messages?chat=" + "c" * 65, 400, "chat"),
    ("delete-whole-archive", "/api/messages", 400, "chat"),  # DELETE, see below
    ("unknown-job", "/api/jobs/424242", 404, "424242"),
    ("job-id-beyond-64-bits", "/api/jobs/99999999999999999999999", 404, None),
    ("unknown-group-members", "/api/groups/777/members", 404, "777"),
    ("unknown-upload", "/api/uploads/0123456789abcdef0123456789abcdef", 404, "upload"),
    ("upload-id-traversal", "/api/uploads/..%2F..%2Fetc%2Fpasswd", 404, None),
    ("media-unknown", "/api/media/5", 404, "media"),
    ("avatar-unknown", "/api/avatars/contacts/5", 404, "avatar"),
    ("stream-unknown-event", "/stream?events=login,<script>", 400, "unknown events"),
    ("sql-search", "/api/contacts?q=%27%20OR%201%3D1%20--", 200, None),
    ("like-wildcards", "/api/messages?q=%25_%25", 200, None),
    ("redos-search", "/api/messages?q=" + REDOS[:200].replace("+", "%2B").replace("$", "%24"), 200, None),
]


@pytest.fixture
def api(client, api_token):
    def call(method: str, path: str, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {api_token}"}, **kwargs)
    return call


def assert_json_error(response, status: int, text: str | None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    if status >= 400:
        assert response.is_json and isinstance(response.json["error"], str), response.get_data(as_text=True)[:300]
        if text:
            assert text.lower() in response.json["error"].lower(), response.json


@pytest.mark.parametrize("method, path, body, status, text", [c[1:] for c in JSON_CASES],
                         ids=[c[0] for c in JSON_CASES])
def test_bad_json_bodies(api, method, path, body, status, text):
    if isinstance(body, str):
        response = api(method, path, data=body, content_type="text/plain")
    else:
        response = api(method, path, json=body)
    assert_json_error(response, status, text)
    assert db.session.execute(db.select(SendJob)).first() is None  # nothing half-created


def test_malformed_json_is_400(api):
    response = api("POST", "/api/messages/send", data='{"to": ["a"], "text": "x"', content_type="application/json")
    assert_json_error(response, 400, "malformed JSON")


@pytest.mark.parametrize("path, status, text", [c[1:] for c in QUERY_CASES], ids=[c[0] for c in QUERY_CASES])
def test_bad_queries_and_unknown_ids(api, path, status, text):
    started = time.monotonic()
    response = api("DELETE" if path == "/api/messages" else "GET", path)
    assert_json_error(response, status, text)
    assert time.monotonic() - started < 2  # no catastrophic backtracking, no full scans of huge inputs
    if status == 200:
        assert response.json["items"] == [] and response.json["total"] == 0


def upload(api, name: str, data: bytes):
    return api("POST", "/api/uploads", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("name", ["../../etc/passwd.png", "C:\\Windows\\System32\\evil.png", "nul\x00byte.png",
                                  "\u202egnp.exe.png", "<img src=x onerror=alert(1)>.png"])
def test_hostile_upload_names_are_stored_as_plain_display_text(api, app, name):
    response = upload(api, name, PNG)
    assert response.status_code == 201, response.json
    stored = response.json["uploads"][0]
    assert "/" not in stored["name"] and "\\" not in stored["name"] and "\x00" not in stored["name"]
    assert "\u202e" not in stored["name"] and "<" not in stored["name"]
    folder = app.instance_path + "/uploads/" + stored["id"]
    import os
    assert sorted(os.listdir(folder)) == ["meta.json", "upload.png"]  # never named after the client's name


@pytest.mark.parametrize("name, data", [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 64),
    ("photo.png", b"\x7fELF" + b"\x00" * 64),
    ("page.png", b"<html><script>alert(1)</script></html>"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
])
def test_disallowed_file_types_are_refused_and_not_kept(api, app, name, data):
    response = upload(api, name, data)
    assert 400 <= response.status_code < 500 and response.is_json and response.json["error"], response.data[:200]
    import os
    uploads = app.instance_path + "/uploads"
    assert not os.path.isdir(uploads) or os.listdir(uploads) == []


def test_oversized_upload_is_413_json(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(api, "big.png", PNG + b"\x00" * 100_000)
    assert_json_error(response, 413, None)


def test_upload_without_a_file_is_400(api):
    assert_json_error(api("POST", "/api/uploads", data={"other": "x"}, content_type="multipart/form-data"), 400,
                      "file")


# -- authentication -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["Bearer wxa_" + "0" * 40, "Bearer ' OR 1=1 --", "Basic cm9vdDpyb290",
                                    "Bearer", "bearer  "])
def test_forged_or_malformed_tokens_are_401(client, admin, header):
    response = client.get("/api/me", headers={"Authorization": header})
    assert_json_error(response, 401, None)


def test_revoked_token_is_401(client, api_token):
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    token.revoked_at = utcnow()
    db.session.commit()
    assert_json_error(client.get("/api/me", headers={"Authorization": f"Bearer {api_token}"}), 401, "revoked")


def test_no_credentials_is_401_json(client):
    assert_json_error(client.post("/api/messages/send", json={"to": ["a"], "text": "x"}), 401, "authentication")


def test_cookie_session_without_csrf_token_is_refused(logged_in):
    response = logged_in.post("/api/messages/send", json={"to": ["a"], "text": "x"})
    assert_json_error(response, 400, "CSRF")
    assert db.session.execute(db.select(SendJob)).first() is None


def test_cookie_session_with_a_wrong_csrf_token_is_refused(logged_in):
    response = logged_in.post("/api/messages/send", json={"to": ["a"], "text": "x"},
                              headers={"X-CSRFToken": "forged." + "A" * 40})
    assert_json_error(response, 400, "CSRF")


def test_sign_in_without_csrf_token_is_refused(client, admin):
    response = client.post("/login", data={"username": "root", "password": "x"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)


def test_sign_in_brute_force_is_rate_limited(client, admin):
    statuses = []
    for attempt in range(7):
        token = csrf_token_from(client)
        statuses.append(client.post("/login", data={"username": "root", "password": f"guess{attempt}",
                                                    "csrf_token": token}).status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], statuses
    assert log_in(client).status_code == 429  # even the right password waits: the limit is per address/user


def test_malformed_multipart_field_names_are_a_csrf_error_not_a_500(client, admin):
    body = b'--b\r\nContent-Disposition: form-data; name="\xc2\xb1;x"\r\n\r\nv\r\n--b--\r\n'
    response = client.post("/login", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400


def test_sandbox_control_api_refuses_non_loopback_clients():
    from sandbox.app import create_app as sandbox_app

    client = sandbox_app().test_client()
    for method, path in (("GET", "/_sandbox/state"), ("POST", "/_sandbox/logout"), ("POST", "/_sandbox/faults")):
        response = client.open(path, method=method, json={}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
        assert response.status_code == 403 and "loopback" in response.json["error"], (method, path)


def test_a_400_has_one_shape_and_stays_small(api):
    """error, field and details (every problem, capped); an unknown key is echoed only in part."""
    response = api("POST", "/api/messages/send", json={"to": list(range(5000)), "text": "x"})
    assert response.status_code == 400 and response.json["field"] == "to[0]"
    assert response.json["details"][0] == {"field": "to[0]", "type": "string_type",
                                           "message": "must be a string (an item of the list 'to')"}
    assert len(response.json["details"]) == 20 and len(response.data) < 4000
    response = api("PUT", "/api/settings/automation", json={"k" * 10_000: 1})
    assert response.status_code == 400 and len(response.json["field"]) <= 120
    response = api("POST", "/api/messages/send", json={"to": [], "text": "x"})  # a check below the model
    assert response.status_code == 400 and set(response.json) >= {"error", "field", "details"}
    assert response.json["details"][0]["message"] == response.json["error"]


def test_a_csrf_failure_has_the_400_shape_too(logged_in):
    response = logged_in.post("/api/messages/send", json={"to": ["a"], "text": "x"})  # no CSRF token
    assert response.status_code == 400 and "CSRF" in response.json["error"]
    assert response.json["field"] is None and response.json["details"][0]["message"] == response.json["error"]
