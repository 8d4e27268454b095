"""Bulk sending: a send job per request, with progress over SSE (`job` events) and in GET /api/jobs/<id>."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json
from libs.uploads import UploadNotFound, resolve_upload, upload_root
from models.audit import record
from models.send_job import SendJob
from views.account_context import current_account, current_context, require_live
from views.schemas.jobs import JobAnswer, JobDetail, Jobs, Resent, SendIn
from wechat import control
from wechat.bot import capabilities
from wechat.sending.jobs import JobInvalid, cancel_job, create_send_job, job_as_dict, publish_job, resend_uncertain
from wechat.sending.media_limits import send_refusal

bp = Blueprint("jobs", __name__, url_prefix="/api")


def account_filter(column):
    """Rows of the request's account; rows from before jobs carried an account (NULL) are shown to owners only."""
    context = current_context()
    mine = column == (context.account.id if context.account is not None else None)
    return mine | column.is_(None) if context.role == "owner" else mine


def _job_or_404(job_id: int) -> SendJob:
    job = db.session.execute(db.select(SendJob).where(SendJob.id == job_id, account_filter(SendJob.account_id))
                             ).scalar_one_or_none()
    if job is None:  # another account's job is "no such job": its existence is not this caller's business
        raise ApiError(404, f"no send job {job_id}")
    return job


def check_uploads(upload_ids: list[str]) -> None:
    """Refuse (400) an upload WeChat would refuse, by the logged-in driver's limits (web limits when unknown)."""
    known = capabilities.active(control.bot_state().login())
    driver = known[0] if known else "itchat"
    for upload_id in upload_ids:
        try:
            upload = resolve_upload(upload_root(), upload_id)
        except UploadNotFound:
            raise ApiError(400, f"unknown upload id {upload_id!r}") from None
        refusal = send_refusal(upload.kind, upload.size, upload.name, driver=driver)
        if refusal:
            raise ApiError(400, f"WeChat would refuse it: {refusal}")


@bp.post("/messages/send")
@api.validate(json=SendIn, resp=Response(HTTP_202=JobAnswer, HTTP_409=ErrorBody))
def send():
    """Send a text and/or uploaded files to up to 5000 recipients, as a send job."""
    body: SendIn = context_json()
    files = body.files
    account = current_account()
    require_live(account)
    try:
        job = create_send_job(body.to, body.text, files, created_by=current_user.username,
                              account_id=account.id if account is not None else None)
    except JobInvalid as exc:
        raise ApiError(400, str(exc)) from None
    check_uploads(files)
    # What the logged-in driver cannot send is refused now (409), not failed per recipient later.
    capabilities.require_for_message(control.bot_state().login(), body.text, files)
    db.session.flush()
    record(current_user.username, "message.send", target=f"job {job.id}",
           detail={"recipients": job.total, "files": len(files)}, ip=request.remote_addr)
    db.session.commit()
    publish_job(job)
    control.enqueue_send_job(job.id)
    return jsonify({"job": job_as_dict(job)}), 202


@bp.get("/jobs")
@api.validate(resp=Response(HTTP_200=Jobs))
def list_jobs():
    """The 50 most recent send jobs."""
    jobs = db.session.execute(db.select(SendJob).where(account_filter(SendJob.account_id))
                              .order_by(SendJob.id.desc()).limit(50)).scalars()
    return jsonify({"items": [job_as_dict(job) for job in jobs]})


@bp.get("/jobs/<int:job_id>")
@api.validate(resp=Response(HTTP_200=JobDetail, HTTP_404=ErrorBody))
def get_job(job_id: int):
    """A send job with every recipient's state."""
    job = _job_or_404(job_id)
    body = job_as_dict(job)
    body["items"] = [{"to": item.recipient_puid, "status": item.status, "error": item.error,
                      "sent_at": item.sent_at.isoformat() if item.sent_at else None} for item in job.items]
    return jsonify(body)


@bp.post("/jobs/<int:job_id>/cancel")
@api.validate(resp=Response(HTTP_200=JobAnswer, HTTP_404=ErrorBody, HTTP_409=ErrorBody))
def cancel(job_id: int):
    """Cancel a send job that has not finished."""
    job = _job_or_404(job_id)
    if not cancel_job(job):
        raise ApiError(409, f"job {job_id} is already {job.status}")
    record(current_user.username, "job.cancel", target=f"job {job_id}", ip=request.remote_addr)
    db.session.commit()
    return jsonify({"job": job_as_dict(job)})


@bp.post("/jobs/<int:job_id>/resend-uncertain")
@api.validate(resp=Response(HTTP_200=Resent, HTTP_404=ErrorBody, HTTP_409=ErrorBody))
def resend(job_id: int):
    """Send the job's uncertain items again: the operator accepts that some may arrive twice."""
    job = _job_or_404(job_id)
    require_live(current_account())
    count = resend_uncertain(job)
    if not count:
        raise ApiError(409, f"job {job_id} has no uncertain items")
    record(current_user.username, "job.resend_uncertain", target=f"job {job_id}", detail={"items": count},
           ip=request.remote_addr)
    db.session.commit()
    publish_job(job)
    control.enqueue_send_job(job.id)
    return jsonify({"job": job_as_dict(job), "resent": count})
