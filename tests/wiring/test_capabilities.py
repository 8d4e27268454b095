"""Capabilities in the product: read from the login record, refused by the API (409), greyed out in pages."""

from __future__ import annotations

import pytest

from drivers.types import Capability, IdStability, Unsupported
from wechat.bot import capabilities
from wechat.bot.driver_factory import ITCHAT_CAPABILITIES, capability_names, login_fields

PADPRO_LIKE = login_fields("padpro", ITCHAT_CAPABILITIES & ~Capability.SEND_FILE, IdStability.STABLE)


def record(fields: dict) -> dict:
    return {"state": "logged_in", **fields}


def test_names_round_trip():
    assert capabilities.parse(capability_names(ITCHAT_CAPABILITIES)) == ITCHAT_CAPABILITIES
    assert capabilities.parse("send_text, nonsense,SEND_IMAGE") == Capability.SEND_TEXT | Capability.SEND_IMAGE


def test_a_missing_capability_is_refused_with_the_reason():
    login = record(PADPRO_LIKE)
    capabilities.require(login, capabilities.for_send("hi", ["image"]))
    with pytest.raises(Unsupported, match="the padpro driver cannot send file"):
        capabilities.require(login, capabilities.for_send("hi", ["image", "file"]))


def test_nothing_is_refused_while_nothing_is_known():
    for login in ({"state": "waiting"}, {"state": "logged_in"}):  # not logged in; a record without capabilities
        capabilities.require(login, [Capability.SEND_FILE, Capability.ANNOUNCEMENT])
        assert capabilities.summary(login) is None


def test_summary_lists_every_capability():
    summary = capabilities.summary(record(PADPRO_LIKE))
    assert summary["driver"] == "padpro" and summary["capabilities"]["send_file"] is False
    assert summary["capabilities"]["send_image"] is True
    assert set(summary["capabilities"]) == {flag.name.lower() for flag in Capability if flag.value}


def _log_in_as(app, fields: dict) -> None:
    from wechat.control import bot_state

    with app.app_context():
        state = bot_state(app)
        app.extensions["redis"].delete(state.key("lease"))  # a new listener each time (as after a relogin)
        assert state.acquire("listener-task", 60)  # the login state is what the lease holder says
        assert state.set_login("logged_in", nick_name="me", puid="wxid_me", **fields)


def test_send_api_answers_409_and_the_status_names_the_driver(app, client, api_token):
    import io

    _log_in_as(app, PADPRO_LIKE)
    headers = {"Authorization": f"Bearer {api_token}"}
    uploaded = client.post("/api/uploads", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 100), "a.pdf")})
    assert uploaded.status_code == 201, uploaded.json
    response = client.post("/api/messages/send", headers=headers,
                           json={"to": ["wxid_a"], "text": "x", "files": [uploaded.json["uploads"][0]["id"]]})
    assert response.status_code == 409
    assert response.json == {"error": "the padpro driver cannot send file", "code": "unsupported"}
    status = client.get("/api/status", headers=headers).json
    assert status["driver"]["capabilities"]["send_file"] is False and status["login"]["driver"] == "padpro"


@pytest.mark.parametrize("page", ["/send", "/schedules", "/chats"])
def test_pages_grey_files_out_only_when_the_driver_cannot_send_them(app, logged_in, page):
    assert 'data-capability="send_file"' not in logged_in.get(page).get_data(as_text=True)  # nothing known yet
    _log_in_as(app, PADPRO_LIKE)
    html = logged_in.get(page).get_data(as_text=True)
    assert 'data-capability="send_file"' in html and "the padpro driver cannot send file" in html
    assert 'accept="image/*"' in html
    _log_in_as(app, login_fields("itchat", ITCHAT_CAPABILITIES, IdStability.PER_LOGIN))
    assert 'data-capability="send_file"' not in logged_in.get(page).get_data(as_text=True)


def test_a_schedule_with_a_file_is_refused_on_a_driver_that_cannot_send_files(app, client, api_token):
    import io

    headers = {"Authorization": f"Bearer {api_token}"}
    _log_in_as(app, PADPRO_LIKE)
    with app.app_context():
        from extensions import db
        from wechat.accounts import ensure_account

        ensure_account("wxid_me", "me")
        db.session.commit()
    uploaded = client.post("/api/uploads", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 100), "a.pdf")})
    body = {"name": "weekly", "to": ["wxid_a"], "text": "hi", "files": [uploaded.json["uploads"][0]["id"]],
            "cron": "0 9 * * 1"}
    response = client.post("/api/schedules", headers=headers, json=body)
    assert response.status_code == 409 and response.json["code"] == "unsupported", response.json
    response = client.post("/api/schedules", headers=headers, json={**body, "files": []})
    assert response.status_code == 201, response.json
