"""A recurring schedule end to end: the scheduler tick (run here with a fake "now") queues send jobs that a real
worker holding unmodified wxpy delivers to the sandbox; a file goes along; history shows every run."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest

from tests.fixtures.processes import wait_for
from wechat.schedules.runner import run_due_schedules

pytestmark = pytest.mark.integration

FRIEND, GROUP = "小明", "通知群"


def test_recurring_schedule_fires_twice_then_reports_missed_runs(stack):
    stack.sandbox.reset(friends=0, groups=0, mps=0, explicit_friends=[FRIEND],
                        explicit_groups=[{"name": GROUP, "members": [FRIEND, "老王"], "owner": "self"}])
    stack.start_worker()
    stack.log_in()
    chats = wait_for(lambda: (r := stack.api("GET", "/api/wechat/chats")).status_code == 200 and r.json, 15,
                     what="the chat list")
    puids = {item["name"]: item["puid"] for kind in ("friends", "groups") for item in chats[kind]}
    upload = stack.api("POST", "/api/uploads", data={"file": (io.BytesIO(b"hello, schedule\n"),
                                                              "notice.txt")}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    upload_id = upload.json["uploads"][0]["id"]
    created = stack.api("POST", "/api/schedules", json={"name": "每分钟", "to": [puids[FRIEND], puids[GROUP]],
                                                         "text": "定时消息🕘", "files": [upload_id],
                                                         "cron": "* * * * *"})
    assert created.status_code == 201, created.json
    schedule_id = created.json["item"]["id"]
    seq = stack.sandbox.state()["sent_count"]

    def sent(kind):
        return [e for e in stack.sandbox.sent(seq) if e["kind"] == kind]

    for round_number in (1, 2):
        due = datetime.fromisoformat(stack.api("GET", f"/api/schedules/{schedule_id}").json["item"]["next_run_at"])
        with stack.app.app_context():
            assert run_due_schedules(now=due + timedelta(seconds=3))["queued"] == 1
        wait_for(lambda n=round_number: len(sent("text")) == 2 * n and len(sent("file")) == 2 * n, 30,
                 what=f"round {round_number} delivered")
    assert sorted(e["to"] for e in sent("text")) == sorted([FRIEND, GROUP] * 2)
    assert {e["content"] for e in sent("text")} == {"定时消息🕘"}
    assert {e["size"] for e in sent("file")} == {len(b"hello, schedule\n")}

    # The scheduler was down for two hours: nothing goes out late, the history says what was missed.
    due = datetime.fromisoformat(stack.api("GET", f"/api/schedules/{schedule_id}").json["item"]["next_run_at"])
    with stack.app.app_context():
        summary = run_due_schedules(now=due + timedelta(hours=2, seconds=30), grace=10)
    assert summary == {"due": 1, "queued": 0, "missed": 121}
    item = wait_for(lambda: (i := stack.api("GET", f"/api/schedules/{schedule_id}").json["item"])
                    and all(r["job_status"] == "done" for r in i["runs"] if r["job_id"]) and i, 20,
                    what="both jobs done")
    assert [r["status"] for r in item["runs"]] == ["missed", "queued", "queued"]
    assert item["runs"][0]["missed"] == 121 and "121 run(s) not sent" in item["runs"][0]["note"]
    assert datetime.fromisoformat(item["next_run_at"]) > due + timedelta(hours=2)
    assert len(sent("text")) == 4
