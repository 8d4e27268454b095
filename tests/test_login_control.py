"""The dashboard's side of issue 21 against a real Redis (the broker too): "new QR code" asks the running listener
instead of starting a second one, the watchdog says "no listener", bot tasks expire, /api/status is derived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.itchat.connection import SessionFiles
from drivers.itchat.loops import LoopStopped
from libs.events import STREAM_KEY
from wechat import control
from wechat.bot import worker_wiring
from wechat.bot.listener import Listener, ListenerSettings


def queued(app, queue: str) -> list[dict]:
    return [json.loads(raw) for raw in app.extensions["redis"].lrange(queue, 0, -1)]


def login_events(app) -> list[dict]:
    return [json.loads(fields[b"data"]) for _, fields in app.extensions["redis"].xrange(STREAM_KEY)
            if fields[b"event"] == b"login"]


@pytest.fixture
def headers(api_token) -> dict:
    return {"Authorization": f"Bearer {api_token}"}


def test_new_qr_while_a_qr_waits_is_asked_of_the_running_listener(app, client, headers):
    state = control.bot_state(app)
    assert state.acquire("task-1", 30)
    state.set_login("waiting", uuid="qr-1", qrcode=b"png")
    response = client.post("/api/wechat/login", headers=headers)
    assert response.status_code == 202 and response.json == {"ok": True, "task_id": "task-1", "replaced": False}
    assert state.take_qr_refresh()  # the listener's heartbeat takes it and replaces the QR in its own loop
    assert queued(app, "celery") == []  # no second listener, so never two QR loops


def test_new_qr_without_a_listener_sends_one(app, client, headers):
    response = client.post("/api/wechat/login", headers=headers)
    assert response.status_code == 202 and response.json["replaced"] is True
    assert [message["headers"]["task"] for message in queued(app, "celery")] == ["wechat.listener"]


def test_status_says_no_listener_and_what_waits_for_the_bot(app, client, headers):
    state = control.bot_state(app)
    state.acquire("task-1", 30)
    state.set_login("logged_in", nick_name="bot", puid="p")
    assert client.get("/api/status", headers=headers).json["login"]["state"] == "logged_in"
    app.extensions["redis"].delete(state.key("lease"))  # the worker died: its lease expired
    control.enqueue_send_job(7, app)
    status = client.get("/api/status", headers=headers).json
    assert status["login"]["state"] == "no_listener" and status["account"] is None
    assert status["bot_queue"] == {"waiting": 1, "expires_seconds": app.config["BOT_TASK_EXPIRES"]}


def test_tasks_for_the_bot_expire(app):
    control.enqueue_send_job(7, app)
    worker_wiring.after_login(app)
    messages = queued(app, "wechat.default")
    assert {message["headers"]["task"] for message in messages} == {"wechat.send_job", "wechat.sync"}
    assert all(message["headers"]["expires"] for message in messages)


def test_watchdog_says_no_listener_once_and_relaunches(app):
    state = control.bot_state(app)
    state.acquire("task-1", 30)
    state.set_login("logged_in", nick_name="bot", puid="p")
    app.extensions["redis"].delete(state.key("lease"), state.key("listener"))  # died without handing over
    assert control.watchdog(app)
    assert login_events(app)[-1]["state"] == "no_listener"
    assert state.recorded_login()["state"] == "no_listener"
    count = len(login_events(app))
    state.clear_launch()
    control.watchdog(app)
    assert len(login_events(app)) == count  # said once, not at every tick


def test_a_replaced_listeners_qr_loop_ends_at_its_next_step(app, tmp_path: Path):
    old_state = control.bot_state(app)
    listener = Listener(old_state, SessionFiles(tmp_path), ListenerSettings(account="default"), "task-1", "host",
                        relaunch=lambda: None)
    assert old_state.acquire("task-1", 30)
    listener._on_qr("qr-1", "0", b"png-1")
    app.extensions["redis"].delete(old_state.key("lease"))
    assert control.bot_state(app).acquire("task-2", 30)  # a successor
    with pytest.raises(LoopStopped):
        listener._on_qr("qr-2", "0", b"png-2")  # its QR expired and itchat fetched another: fenced off
    assert listener.stop_reason == "lease_lost"
    assert [event.get("uuid") for event in login_events(app)] == ["qr-1"]
