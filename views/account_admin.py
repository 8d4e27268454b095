"""Owners add, pause, resume and remove WeChat accounts (the rules: wechat/account_admin.py, shared with the CLI).

POST   /api/accounts                          add an account in a new slot (a worker starts its listener)   (owners)
POST   /api/accounts/<id>/pause               no worker runs it; a running listener stops                   (owners)
POST   /api/accounts/<id>/resume              it runs again                                                  (owners)
DELETE /api/accounts/<id>?archive=keep|delete remove it, keeping a read-only archive or deleting all of it   (owners)

Owners only (libs/roles.OWNER_ENDPOINTS); a read-scope token cannot write (libs/auth). The gateway key is taken,
never given back: answers say only whether one is set.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_json, context_query
from views.schemas.account_admin import AccountRemoved, AddAccountIn, ManagedAccount, RemoveAccountQuery
from wechat import account_admin as service

bp = Blueprint("account_admin", __name__, url_prefix="/api/accounts")


def _answer_error(refused: service.AccountRefused) -> ApiError:
    return ApiError(refused.status, refused.message, code=refused.code,
                    **({"field": refused.field} if refused.field else {}))


def _account(account_id: int):
    try:
        return service.get_account(account_id)
    except service.AccountRefused as refused:
        raise _answer_error(refused) from None


@bp.post("")
@api.validate(json=AddAccountIn, resp=Response(HTTP_201=ManagedAccount, HTTP_409=ErrorBody))
def add_account():
    """Add a WeChat account in a new slot; its QR login is on the login page once a worker started it (seconds)."""
    body: AddAccountIn = context_json()
    settings = {name: value for name, value in (("base_url", body.base_url), ("key", body.key)) if value}
    try:
        account = service.add_account(body.slot, body.driver, settings, actor=current_user.username,
                                      ip=request.remote_addr)
    except service.AccountRefused as refused:
        raise _answer_error(refused) from None
    return jsonify(service.describe(account)), 201


def _pause(account_id: int, paused: bool):
    try:
        account = service.set_paused(_account(account_id), paused, actor=current_user.username,
                                     ip=request.remote_addr)
    except service.AccountRefused as refused:
        raise _answer_error(refused) from None
    return jsonify(service.describe(account))


@bp.post("/<int:account_id>/pause")
@api.validate(resp=Response(HTTP_200=ManagedAccount, HTTP_404=ErrorBody, HTTP_409=ErrorBody))
def pause_account(account_id: int):
    """Pause an account: no worker runs it; its running listener stops within one placement period."""
    return _pause(account_id, True)


@bp.post("/<int:account_id>/resume")
@api.validate(resp=Response(HTTP_200=ManagedAccount, HTTP_404=ErrorBody, HTTP_409=ErrorBody))
def resume_account(account_id: int):
    """Resume a paused account: a worker starts its listener again."""
    return _pause(account_id, False)


@bp.delete("/<int:account_id>")
@api.validate(query=RemoveAccountQuery, resp=Response(HTTP_200=AccountRemoved, HTTP_404=ErrorBody,
                                                       HTTP_409=ErrorBody))
def remove_account(account_id: int):
    """Remove an account. `archive=keep`: it stops, its slot is free, its data stays readable (read-only).
    `archive=delete` (with `confirm` = its slot name): every row and file of it; audit entries stay."""
    query: RemoveAccountQuery = context_query()
    account = _account(account_id)
    try:
        done = service.remove_account(account, query.archive, actor=current_user.username, confirm=query.confirm,
                                      ip=request.remote_addr)
    except service.AccountRefused as refused:
        raise _answer_error(refused) from None
    kept = service.get_account(account_id) if done["archive"] == "keep" else None
    return jsonify({**done, "account": service.describe(kept) if kept is not None else None})
