"""The /api/schedules CRUD and the scheduler tick on a migrated database (send jobs queued to Redis, no worker)."""

from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from models.schedule import Schedule, ScheduleRun
from models.send_job import SendJob
from models.wechat import Account
from wechat.schedules.runner import run_due_schedules


@pytest.fixture
def api(client, api_token, app):
    db.session.add(Account(puid="bot-puid", nick_name="小助手"))
    db.session.commit()

    def call(method, path, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {api_token}"}, **kwargs)

    return call


def iso(value: datetime) -> str:
    return value.isoformat()


@pytest.mark.parametrize("body, field, needle", [
    ({"to": ["a"], "text": "x", "cron": "61 * * * *"}, "cron", "bad cron"),
    ({"to": ["a"], "text": "x", "run_at": "2001-01-01T09:00"}, "run_at", "in the past"),
    ({"to": ["a"], "text": "x", "cron": "* * * * *", "files": ["0" * 32]}, "files", "unknown upload"),
    ({"to": [], "text": "x", "cron": "* * * * *"}, "to", "at least one recipient"),
    ({"text": "x", "cron": "* * * * *"}, "to", "list"),
    ({"to": ["a"], "text": "", "cron": "* * * * *"}, "text", "nothing to send"),
    ({"to": ["a"], "text": "x"}, "run_at", "give 'run_at'"),
    ({"to": ["a"], "text": "x", "cron": "* * * * *", "run_at": "2099-01-01T00:00"}, "cron", "not both"),
    ({"to": ["a"], "text": "x", "run_at": "soon"}, "run_at", "ISO 8601"),
])
def test_clear_400_errors(api, body, field, needle):
    response = api("POST", "/api/schedules", json=body)
    assert response.status_code == 400 and response.json["field"] == field and needle in response.json["error"], \
        response.json


def test_crud_and_next_run_in_the_configured_zone(api, app):
    app.config["TIMEZONE"] = "Asia/Shanghai"
    created = api("POST", "/api/schedules", json={"name": "早安", "to": ["f1", "g1", "f1"], "text": "早上好",
                                                   "cron": "0 9 * * *"})
    assert created.status_code == 201, created.json
    item = created.json["item"]
    assert item["to"] == ["f1", "g1"] and item["timezone"] == "Asia/Shanghai" and item["kind"] == "cron"
    assert item["next_run_local"].endswith("09:00:00+08:00")
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    changed = api("PUT", f"/api/schedules/{item['id']}", json={"run_at": iso(later)})
    assert changed.json["item"]["kind"] == "once" and changed.json["item"]["cron"] is None
    assert changed.json["item"]["next_run_at"] == iso(later)
    off = api("PUT", f"/api/schedules/{item['id']}", json={"enabled": False})
    assert off.json["item"]["next_run_at"] is None
    assert api("GET", "/api/schedules").json["total"] == 1
    assert api("DELETE", f"/api/schedules/{item['id']}").status_code == 200
    assert api("GET", f"/api/schedules/{item['id']}").status_code == 404


def test_tick_queues_claims_once_and_reports_missed(api, app):
    item = api("POST", "/api/schedules", json={"to": ["f1"], "text": "tick", "cron": "* * * * *"}).json["item"]
    first = datetime.fromisoformat(item["next_run_at"])
    assert run_due_schedules(now=first + timedelta(seconds=5)) == {"due": 1, "queued": 1, "missed": 0}
    assert run_due_schedules(now=first + timedelta(seconds=6)) == {"due": 0, "queued": 0, "missed": 0}
    # Down for three hours: nothing is sent late; one history entry says what was missed.
    summary = run_due_schedules(now=first + timedelta(hours=3, seconds=30), grace=10)
    assert summary == {"due": 1, "queued": 0, "missed": 180}
    runs = db.session.execute(db.select(ScheduleRun).order_by(ScheduleRun.id)).scalars().all()
    assert [(r.status, r.missed) for r in runs] == [("queued", 0), ("missed", 180)]
    assert "180 run(s) not sent" in runs[1].note
    jobs = db.session.execute(db.select(SendJob)).scalars().all()
    assert [(j.reason, j.created_by, j.text) for j in jobs] == [(f"schedule {item['id']}", "schedule", "tick")]
    body = api("GET", f"/api/schedules/{item['id']}").json["item"]
    assert [r["status"] for r in body["runs"]] == ["missed", "queued"] and body["runs"][1]["job_status"] == "pending"
    schedule = db.session.get(Schedule, item["id"])
    assert schedule.next_run_at == first + timedelta(hours=3, minutes=1)
