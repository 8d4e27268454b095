"""At most once without help from WeChat: an item interrupted mid-request is "uncertain", never resent by itself."""

from __future__ import annotations

from extensions import db
from models.send_job import SendJob
from wechat.sending.jobs import JobRunner, create_send_job, resend_uncertain
from wechat.sending.pacing import Pacer


class Killed(BaseException):
    """The worker dies mid-request (SIGKILL): no handler runs, nothing after the request is committed."""


def _job(recipients: list[str]) -> int:
    job = create_send_job(recipients, "hi", [], created_by="root")
    db.session.commit()
    return job.id


def _runner(job_id: int, send) -> JobRunner:
    return JobRunner(job_id, send, lambda upload: upload, Pacer(0, 0, sleep=lambda s: None), backoff_base=0)


def test_an_item_interrupted_mid_request_is_uncertain_and_not_resent(app):
    job_id = _job(["a", "b", "c"])
    delivered: list[str] = []

    def dies_after_delivering_b(to, text, files, msg_ids):
        delivered.append(to)  # the request reached WeChat...
        if to == "b":
            raise Killed  # ...and the worker died before hearing the answer

    try:
        _runner(job_id, dies_after_delivering_b).run()
    except Killed:
        db.session.rollback()
    assert _runner(job_id, lambda to, *rest: delivered.append(to)).run() == "done"

    assert delivered == ["a", "b", "c"]  # b once: the resumed job did not send it again
    db.session.expire_all()
    job = db.session.get(SendJob, job_id)
    assert (job.sent, job.failed, job.uncertain) == (2, 0, 1)
    assert {i.recipient_puid: i.status for i in job.items} == {"a": "sent", "b": "uncertain", "c": "sent"}


def test_the_operator_may_resend_uncertain_items(app):
    job_id = _job(["a", "b"])
    delivered: list[str] = []

    def dies_on_a(to, *rest):
        raise Killed

    try:
        _runner(job_id, dies_on_a).run()
    except Killed:
        db.session.rollback()
    _runner(job_id, lambda to, *rest: delivered.append(to)).run()
    assert delivered == ["b"]
    job = db.session.get(SendJob, job_id)
    assert resend_uncertain(job) == 1
    db.session.commit()
    _runner(job_id, lambda to, *rest: delivered.append(to)).run()
    db.session.expire_all()
    job = db.session.get(SendJob, job_id)
    assert delivered == ["b", "a"] and (job.status, job.sent, job.uncertain) == ("done", 2, 0)


def test_resend_uncertain_route(client, api_token):
    job_id = _job(["a"])
    response = client.post(f"/api/jobs/{job_id}/resend-uncertain", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 409 and "no uncertain" in response.json["error"]
