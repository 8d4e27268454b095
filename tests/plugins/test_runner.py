"""Running a plugin call: time limit, failure report, reply through a send job (Redis queue, no worker needed)."""

import time

import gevent
import pytest

from extensions import db
from models.audit import AuditLog
from models.plugin import PluginConfig
from models.send_job import SendJob
from models.wechat import Account
from wechat.control import bot_state
from wechat.plugins.api import PluginCall, current_call
from wechat.plugins.runner import run_call
from wechat.plugins.spec import spec_from_object


class Chat:
    puid = "chat-puid"


class Msg:
    id = 42
    text = "hi"
    chat = Chat()


def make_call(app, main, run_async=True, limit=0.5):
    spec = spec_from_object(type("P", (), {"name": "p1", "main": staticmethod(main), "run_async": run_async}), "t")
    account = Account(puid="bot", nick_name="bot")
    db.session.add(account)
    db.session.commit()
    return PluginCall(spec=spec, settings={}, account_id=account.id, state=bot_state(app), bot=None, app=app,
                      enabled=[spec], time_limit=limit)


def row():
    db.session.expire_all()
    return db.session.execute(db.select(PluginConfig).where(PluginConfig.name == "p1")).scalar_one_or_none()


def test_a_reply_becomes_a_paced_send_job(app):
    call = make_call(app, lambda msg: f"{current_call().name}: {msg.text}")
    run_call(call, Msg()).join(5)
    job = db.session.execute(db.select(SendJob)).scalar_one()
    assert (job.text, job.reason, job.created_by, job.items[0].recipient_puid) == ("p1: hi", "plugin p1", "bot",
                                                                                   "chat-puid")
    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == "plugin.reply")).scalar_one()
    assert audit.detail["job"] == job.id


def test_a_raising_plugin_is_reported(app):
    def boom(msg):
        raise ValueError("bad input")

    run_call(make_call(app, boom), Msg()).join(5)
    assert row().last_error == "ValueError: bad input" and row().error_count == 1 and row().last_error_at
    assert db.session.execute(db.select(SendJob)).first() is None


@pytest.mark.parametrize("run_async", [True, False])
def test_a_hanging_plugin_is_stopped_at_its_limit(app, run_async):
    call = make_call(app, lambda msg: gevent.sleep(30) or "late", run_async=run_async, limit=0.3)
    started = time.monotonic()
    greenlet = run_call(call, Msg())
    if run_async:
        assert time.monotonic() - started < 0.2  # the message loop did not wait at all
    greenlet.join(5)
    assert time.monotonic() - started < 2
    assert "0.3s" in row().last_error
    assert db.session.execute(db.select(SendJob)).first() is None
