"""Group-automation settings and the blacklist over the JSON API (docs/AUTOMATION.md).

Settings are per WeChat account: the request's account (views/account_context.py; by default the one logged in
now, else the most recently seen). They are read by the bot on
every message, so a change applies at once without restarting anything.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json
from models.audit import record
from models.automation import AutomationSettings
from models.wechat import Account
from views.account_context import current_account, owns_slot, require_account
from views.schemas.automation import (
    Blacklist,
    BlacklistAnswer,
    BlacklistIn,
    BlacklistRemoved,
    SettingsAnswer,
)
from wechat import control
from wechat.automation import blacklist, settings

bp = Blueprint("automation", __name__, url_prefix="/api")


def _settings_body(account: Account | None, changed: list[str] | None = None) -> dict:
    row = None
    if account is not None:
        row = db.session.execute(
            db.select(AutomationSettings).where(AutomationSettings.account_id == account.id)
        ).scalar_one_or_none()
    body = {
        "account": {"puid": account.puid, "nick_name": account.nick_name} if account is not None else None,
        "settings": settings.load(account.id) if account is not None else settings.defaults(),
        "updated_at": row.updated_at.isoformat() if row is not None and row.updated_at else None,
        "updated_by": row.updated_by if row is not None else None,
    }
    if changed is not None:
        body["changed"] = changed
    return body


@bp.get("/settings/automation")
@api.validate(resp=Response(HTTP_200=SettingsAnswer))
def get_settings():
    """The effective automation settings of the current account."""
    account = current_account()
    db.session.commit()
    return jsonify(_settings_body(account))


@bp.put("/settings/automation")
@api.validate(json=settings.SettingsChanges, resp=Response(HTTP_200=SettingsAnswer, HTTP_409=ErrorBody))
def put_settings():
    """A partial update: the keys given replace the stored ones, the others stay."""
    changes = context_json().model_dump(mode="json", exclude_unset=True)
    account = require_account("no WeChat account yet: log in once, then configure the automation")
    _, changed = settings.save(account.id, changes, current_user.username)
    record(current_user.username, "automation.settings", target=account.puid, reason="settings changed",
           detail={"changed": changed, "values": {name: changes[name] for name in changed}}, ip=request.remote_addr)
    db.session.commit()
    return jsonify(_settings_body(account, changed))


@bp.get("/blacklist")
@api.validate(resp=Response(HTTP_200=Blacklist))
def list_blacklist():
    """The blacklisted contacts."""
    account = current_account()
    db.session.commit()
    items = blacklist.blacklisted(account.id) if account is not None else []
    return jsonify({"items": [blacklist.as_dict(contact) for contact in items]})


@bp.post("/blacklist")
@api.validate(json=BlacklistIn, resp=Response(HTTP_201=BlacklistAnswer, HTTP_409=ErrorBody))
def add_to_blacklist():
    """Put a contact on the blacklist."""
    body: BlacklistIn = context_json()
    puid, nick_name = body.puid, body.nick_name
    account = require_account("no WeChat account yet: log in once, then configure the automation")
    contact = blacklist.set_blacklisted(account.id, puid, True, nick_name=nick_name)
    record(current_user.username, "blacklist.add", target=puid, reason="admin", ip=request.remote_addr)
    db.session.commit()
    return jsonify({"item": blacklist.as_dict(contact)}), 201


@bp.delete("/blacklist/<puid>")
@api.validate(resp=Response(HTTP_200=BlacklistRemoved, HTTP_404=ErrorBody, HTTP_409=ErrorBody))
def remove_from_blacklist(puid: str):
    """Take a contact off the blacklist (and the blacklist prefix off its remark)."""
    account = require_account("no WeChat account yet: log in once, then configure the automation")
    if not blacklist.is_blacklisted(account.id, puid):
        raise ApiError(404, f"{puid!r} is not on the blacklist")
    contact = blacklist.set_blacklisted(account.id, puid, False)
    restored = _restore_remark(contact)
    record(current_user.username, "blacklist.remove", target=puid, reason="admin", ip=request.remote_addr,
           detail={"remark_restored": restored})
    db.session.commit()
    return jsonify({"item": blacklist.as_dict(contact), "remark_restored": restored})


def _restore_remark(contact) -> bool:
    """Take the "[黑名单]" prefix the vote-kick put on a friend's remark off again (the owner sees remarks on the
    phone). Best effort: with the bot offline (or running another account) the prefix stays and the answer says so."""
    if not owns_slot(db.session.get(Account, contact.account_id)):
        return False
    result = control.call_bot("clear_blacklist_remark", {"puid": contact.puid})
    if result.get("changed"):
        contact.remark_name = result["remark"]
    return bool(result.get("changed"))
