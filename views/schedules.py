"""Scheduled messages over the JSON API (docs/PLUGINS.md, "Scheduled messages")."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError, page_args
from libs.api_spec import ErrorBody, Response, api, context_json
from libs.uploads import UploadNotFound, resolve_upload, upload_root
from models.audit import record
from models.schedule import Schedule
from models.types import utcnow
from models.wechat import Account
from views.account_context import current_account, require_account
from views.schemas.common import PageQuery
from views.schemas.schedules import ScheduleAnswer, Schedules
from wechat import control
from wechat.bot import capabilities
from wechat.schedules import service

bp = Blueprint("schedules", __name__, url_prefix="/api")


def _upload_exists(upload_id: str) -> bool:
    try:
        resolve_upload(upload_root(), upload_id)
    except UploadNotFound:
        return False
    return True


def _validated(current: Schedule | None = None) -> dict:
    """The route's validated body, checked against the clock, the uploads and the schedule it changes."""
    tz_name = current.timezone if current is not None else current_app.config["TIMEZONE"]
    data = context_json().model_dump(exclude_unset=True)
    values = service.validate(data, utcnow(), tz_name, _upload_exists, current)
    # What the logged-in driver cannot send is refused when the schedule is saved (409), not at each run.
    text = values.get("text", current.text if current is not None else "")
    files = values.get("files", current.files if current is not None else [])
    capabilities.require_for_message(control.bot_state().login(), text or "", files or [])
    return values


def _schedule_or_404(account: Account, schedule_id: int) -> Schedule:
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or schedule.account_id != account.id:
        raise ApiError(404, f"no schedule {schedule_id}")
    return schedule


@bp.get("/schedules")
@api.validate(query=PageQuery, resp=Response(HTTP_200=Schedules))
def list_schedules():
    """The schedules with their last five runs."""
    account = current_account()
    db.session.commit()
    if account is None:
        return jsonify({"items": [], "total": 0, "timezone": current_app.config["TIMEZONE"]})
    page, per_page = page_args()
    query = db.select(Schedule).where(Schedule.account_id == account.id)
    total = db.session.execute(db.select(db.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(Schedule.id).offset((page - 1) * per_page).limit(per_page)).scalars()
    return jsonify({"items": [service.as_dict(row, history=5) for row in rows], "total": total, "page": page,
                    "per_page": per_page, "timezone": current_app.config["TIMEZONE"]})


@bp.get("/schedules/<int:schedule_id>")
@api.validate(resp=Response(HTTP_200=ScheduleAnswer, HTTP_404=ErrorBody))
def get_schedule(schedule_id: int):
    """A schedule with its history."""
    account = require_account()
    return jsonify({"item": service.as_dict(_schedule_or_404(account, schedule_id))})


@bp.post("/schedules")
@api.validate(json=service.ScheduleChanges, resp=Response(HTTP_201=ScheduleAnswer, HTTP_409=ErrorBody))
def create_schedule():
    """Add a schedule: `run_at` (once) or `cron` (recurring)."""
    values = _validated()
    account = require_account()
    columns = {"name": "", "text": "", "files": [], "enabled": True, **values}
    schedule = Schedule(account_id=account.id, timezone=current_app.config["TIMEZONE"],
                        created_by=current_user.username, **columns)
    db.session.add(schedule)
    db.session.flush()
    record(current_user.username, "schedule.create", target=f"schedule {schedule.id}", reason="admin",
           detail={"kind": schedule.kind, "cron": schedule.cron, "recipients": len(schedule.recipients)},
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": service.as_dict(schedule)}), 201


@bp.put("/schedules/<int:schedule_id>")
@api.validate(json=service.ScheduleChanges, resp=Response(HTTP_200=ScheduleAnswer, HTTP_404=ErrorBody,
                                                                 HTTP_409=ErrorBody))
def update_schedule(schedule_id: int):
    """Change a schedule."""
    account = require_account()
    schedule = _schedule_or_404(account, schedule_id)
    values = _validated(schedule)
    for name, value in values.items():
        setattr(schedule, name, value)
    record(current_user.username, "schedule.update", target=f"schedule {schedule.id}", reason="admin",
           detail={"changed": sorted(values)}, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": service.as_dict(schedule)})


@bp.delete("/schedules/<int:schedule_id>")
@api.validate(resp=Response(HTTP_200=ScheduleAnswer, HTTP_404=ErrorBody))
def delete_schedule(schedule_id: int):
    """Delete a schedule and its history."""
    account = require_account()
    schedule = _schedule_or_404(account, schedule_id)
    item = service.as_dict(schedule, history=0)
    db.session.delete(schedule)
    record(current_user.username, "schedule.delete", target=f"schedule {schedule_id}", reason="admin",
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": item})
