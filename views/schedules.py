"""Scheduled messages over the JSON API (docs/PLUGINS.md, "Scheduled messages")."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError, json_body, page_args
from libs.uploads import UploadNotFound, resolve_upload, upload_root
from models.audit import record
from models.schedule import Schedule
from models.types import utcnow
from models.wechat import Account
from views.plugins import current_account
from wechat import capabilities, control
from wechat.schedules import service

bp = Blueprint("schedules", __name__, url_prefix="/api")


def _upload_exists(upload_id: str) -> bool:
    try:
        resolve_upload(upload_root(), upload_id)
    except UploadNotFound:
        return False
    return True


def _validated(data: dict, current: Schedule | None = None) -> dict:
    tz_name = current.timezone if current is not None else current_app.config["TIMEZONE"]
    try:
        values = service.validate(data, utcnow(), tz_name, _upload_exists, current)
    except service.ScheduleInvalid as exc:
        raise ApiError(400, f"'{exc.field}': {exc.message}", field=exc.field) from None
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
def list_schedules():
    account = current_account(required=False)
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
def get_schedule(schedule_id: int):
    account = current_account()
    return jsonify({"item": service.as_dict(_schedule_or_404(account, schedule_id))})


@bp.post("/schedules")
def create_schedule():
    values = _validated(json_body())
    account = current_account()
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
def update_schedule(schedule_id: int):
    data = json_body()
    account = current_account()
    schedule = _schedule_or_404(account, schedule_id)
    values = _validated(data, schedule)
    for name, value in values.items():
        setattr(schedule, name, value)
    record(current_user.username, "schedule.update", target=f"schedule {schedule.id}", reason="admin",
           detail={"changed": sorted(values)}, ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": service.as_dict(schedule)})


@bp.delete("/schedules/<int:schedule_id>")
def delete_schedule(schedule_id: int):
    account = current_account()
    schedule = _schedule_or_404(account, schedule_id)
    item = service.as_dict(schedule, history=0)
    db.session.delete(schedule)
    record(current_user.username, "schedule.delete", target=f"schedule {schedule_id}", reason="admin",
           ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": item})
