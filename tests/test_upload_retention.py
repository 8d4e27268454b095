"""Upload retention: the beat task deletes old uploads that nothing still needs (UPLOAD_RETENTION_DAYS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from config import celery_settings
from extensions import db
from models.schedule import Schedule
from models.send_job import SendJob
from models.wechat import Account
from tests.fixtures.processes import start_worker, wait_for
from wechat.sending.upload_retention import purge_uploads, uploads_in_use


def fake_upload(root: Path, age_days: float) -> str:
    """An upload folder as save_upload leaves it, as far as the cleanup reads it (its id and creation time)."""
    upload_id = f"{len(list(root.iterdir())) if root.is_dir() else 0:032x}"
    folder = root / upload_id
    folder.mkdir(parents=True)
    created = datetime.now(UTC) - timedelta(days=age_days)
    (folder / "meta.json").write_text(json.dumps({"created_at": created.isoformat()}))
    return upload_id


def test_purge_keeps_new_uploads_and_those_a_schedule_or_unfinished_job_uses(app):
    root = Path(app.instance_path) / "uploads"
    old_free, old_scheduled, old_queued, old_job_done, new = (fake_upload(root, age) for age in (40, 40, 40, 40, 1))
    account = Account(puid="bot-puid", nick_name="bot", last_login_at=datetime.now(UTC))
    db.session.add(account)
    db.session.flush()
    db.session.add_all([
        Schedule(account_id=account.id, name="weekly", kind="cron", cron="0 9 * * 1", timezone="UTC",
                 files=[old_scheduled], recipients=["p"], created_by="root"),
        SendJob(created_by="root", text="", files=[old_queued], total=1, status="pending"),
        SendJob(created_by="root", text="", files=[old_job_done], total=1, status="done"),
    ])
    db.session.commit()
    assert uploads_in_use() == {old_scheduled, old_queued}
    assert purge_uploads(0) == 0  # 0 keeps everything
    assert purge_uploads(30) == 2
    assert sorted(path.name for path in root.iterdir()) == sorted([old_scheduled, old_queued, new])
    assert old_free not in {path.name for path in root.iterdir()}


def test_beat_schedules_the_upload_cleanup():
    schedule = celery_settings("redis://127.0.0.1:1/0")["beat_schedule"]
    assert {"task": "wechat.purge_uploads", "schedule": 3600.0} in schedule.values()


@pytest.mark.integration
def test_a_real_worker_deletes_expired_uploads(app_config, tmp_path, redis_server):
    instance = tmp_path / "worker-instance"
    root = instance / "uploads"
    old, new = fake_upload(root, 10), fake_upload(root, 1)
    celery = create_app(app_config, instance_path=str(tmp_path / "web")).extensions["celery"]
    celery.send_task("wechat.purge_uploads")
    worker = start_worker({"REDIS_URL": app_config["REDIS_URL"], "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                           "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(instance),
                           "UPLOAD_RETENTION_DAYS": "7"}, tmp_path / "worker.log")
    try:
        wait_for(lambda: not (root / old).exists(), 60, what="the worker to delete the expired upload")
        wait_for(lambda: "wechat.purge_uploads" in worker.log() and "succeeded" in worker.log(), 20,
                 what="the task to finish")
    finally:
        exit_code = worker.stop()
    assert exit_code == 0, worker.log()
    assert (root / new).is_dir()
