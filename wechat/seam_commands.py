"""The bot commands (wechat/bot_commands.py names and answers) on a seam driver (drivers.interface.Driver).

Each command checks the capability first (`require`): what the driver cannot do answers `unsupported`, which the
API maps to 409 and automation skips with an audit entry. Driver errors map in one place (`driver_errors`):
RateLimited → rate_limited (the send jobs' back-off), NotLoggedIn → not_logged_in, anything else → wechat_error.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import has_app_context

from drivers.interface import Driver, require
from drivers.types import Capability, DriverError, NotLoggedIn, RateLimited, Rejected, Unsupported
from wechat.bot_commands import (
    INVITE_ABOVE,
    MAX_GROUP_SIZE,
    NOT_REACHABLE_CODE,
    CommandError,
    _response_error,
    uploads_to_send,
)
from wechat.group_errors import RATE_LIMIT_CODE, group_op_error
from wechat.seam import ChatName, SeamDirectory, directory_of

logger = logging.getLogger(__name__)


def command_error(exc: DriverError, operation: str | None = None) -> CommandError:
    """The one mapping of the seam's errors to the commands' codes (and so to the API's statuses). Group operations
    (`operation`: create, add, remove, rename) read the gateway's answer as wechat/group_errors.py reads web
    WeChat's, so both drivers give the same errors and the same back-off."""
    if isinstance(exc, Unsupported):
        return CommandError("unsupported", exc.message)
    if isinstance(exc, NotLoggedIn):
        return CommandError("not_logged_in", "WeChat is not logged in")
    ret = exc.details.get("ret", exc.code) if isinstance(exc.details, dict) else exc.code
    if operation is not None and isinstance(exc, RateLimited | Rejected):
        problem = group_op_error(operation, ret if isinstance(exc, Rejected) else RATE_LIMIT_CODE, exc.message)
        if problem is not None:
            return CommandError(*problem)
    if isinstance(exc, RateLimited):
        return CommandError("rate_limited", "WeChat says the operation is too frequent; try again later")
    if isinstance(exc, Rejected) and exc.code == NOT_REACHABLE_CODE:
        return _response_error(NOT_REACHABLE_CODE, exc.message)  # the same answer as the itchat side's 1204
    return CommandError("wechat_error", f"WeChat refused the operation: {exc}")


def driver_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DriverError as exc:
            raise command_error(exc) from exc

    return wrapper


def group_op_errors(operation: str):
    """`driver_errors` for a group operation: its failures read like web WeChat's (wechat/group_errors.py)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except DriverError as exc:
                raise command_error(exc, operation) from exc

        return wrapper

    return decorate


def _chat(directory: SeamDirectory, chat_id: str):
    if not isinstance(chat_id, str) or not chat_id:
        raise CommandError("invalid", "the chat id must be a non-empty string")
    chat = directory.chat(chat_id)
    if not chat.name and chat.kind == "stranger":
        me = directory.me()
        # The bot itself and members of its groups are known recipients WeChat refuses (1204, with the reason).
        found = ChatName(me.id, me.nick_name, "self") if chat_id == me.id else directory.group_member(chat_id)
        if found is None:
            raise CommandError("not_found", f"no contact, group or member with id {chat_id[:64]!r}")
        return found
    return chat


def _group(directory: SeamDirectory, group_id: str):
    group = directory.group(group_id) if isinstance(group_id, str) else None
    if group is None:
        raise CommandError("not_found", f"no group with id {str(group_id)[:64]!r}")
    return group


def _ids(values: Any, what: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CommandError("invalid", f"{what} must be a list of ids")
    return values


# -- commands ------------------------------------------------------------------------------------------------------
@driver_errors
def send_message(driver: Driver, to: str, text: str = "", files: list[str] | None = None,
                 msg_ids: list[int] | None = None) -> dict[str, Any]:
    """Send text and/or uploads (by upload id) to one chat; each part WeChat accepted is archived with its id."""
    uploads = uploads_to_send(files, driver.name)  # the driver's own size limits, before anything is sent
    if not isinstance(text, str):
        raise CommandError("invalid", "text must be a string")
    directory = directory_of(driver)
    chat = _chat(directory, to)
    parts: list[tuple[str, Any]] = ([("text", text)] if text else []) + [("file", u) for u in uploads]
    if not parts:
        raise CommandError("invalid", "nothing to send")
    # Every capability before the first part: a message goes out whole or not at all.
    for kind, payload in parts:
        require(driver, Capability.SEND_TEXT if kind == "text" else
                Capability.SEND_IMAGE if payload.kind == "image" else Capability.SEND_FILE)
    sent: list[tuple[str, Any, str]] = []
    try:
        for kind, payload in parts:
            if kind == "text":
                result = driver.send_text(chat.id, payload)
            elif payload.kind == "image":
                result = driver.send_image(chat.id, Path(payload.path).read_bytes(), payload.name)
            else:
                result = driver.send_file(chat.id, Path(payload.path).read_bytes(), payload.name)
            sent.append((kind, payload, result.msg_id))
    finally:
        archive_sent(directory, chat, sent)
    return {"ok": True, "to": {"puid": chat.id, "name": chat.name}, "parts": len(parts),
            "msg_ids": [msg_id for _, _, msg_id in sent]}


def archive_sent(directory: SeamDirectory, chat, sent: list[tuple[str, Any, str]]) -> None:
    """Store and announce what went out (never raises: the message is out either way)."""
    if not sent or not has_app_context():
        return
    from extensions import db
    from libs.emoji_markup import normalize_emoji
    from libs.events import publish_many
    from wechat.accounts import ensure_account
    from wechat.messages.archive import message_event, store_batch
    from wechat.messages.sent import UPLOAD_TYPES, _UploadCopy

    try:
        me = directory.me()
        now = datetime.now(UTC).replace(microsecond=0)
        items = []
        for kind, payload, msg_id in sent:
            if not msg_id:
                continue
            upload = kind != "text"
            record = {"msg_id": str(msg_id),
                      "type": UPLOAD_TYPES.get(payload.kind, "attachment") if upload else "text",
                      "chat_kind": chat.kind, "chat_puid": chat.id, "chat_name": normalize_emoji(chat.name)[:255],
                      "sender_puid": me.id, "sender_name": me.nick_name[:255], "is_outgoing": True,
                      "text": "" if upload else payload, "url": None,
                      "file_name": payload.name if upload else None, "created_at": now}
            items.append((_UploadCopy(payload) if upload else None, record))
        if not items:
            return
        account_id = ensure_account(me.id, me.nick_name).id
        db.session.commit()
        stored = store_batch(items, account_id)
        if stored:
            publish_many([("message", message_event(record)) for record in stored])
    except Exception:
        logger.warning("could not archive a message the bot sent to %s", chat.id, exc_info=True)


@group_op_errors("create")
def create_group(driver: Driver, members: list[str], topic: str = "") -> dict[str, Any]:
    require(driver, Capability.CREATE_GROUP)
    people = _ids(members, "members")
    if len(people) < 2:
        raise CommandError("invalid", "WeChat needs at least two other members to create a group")
    directory = directory_of(driver)
    for person in people:
        _chat(directory, person)
    group_id = driver.create_group(topic or "", people)
    directory.forget()
    return {"ok": True, "group": {"puid": group_id, "name": topic or ""}}


@group_op_errors("add")
def add_members(driver: Driver, group: str, members: list[str], invite: bool | None = None) -> dict[str, Any]:
    """Directly up to 40 members, by invitation above (or when invite=True), as on the itchat path."""
    directory = directory_of(driver)
    target = _group(directory, group)
    people = _ids(members, "members")
    size = len(directory.members(target.id)) or target.member_count
    if size + len(people) > MAX_GROUP_SIZE:
        raise CommandError("invalid", f"{target.name} has {size} members; the limit is {MAX_GROUP_SIZE}")
    use_invitation = invite if invite is not None else size > INVITE_ABOVE
    require(driver, Capability.INVITE_MEMBERS if use_invitation else Capability.ADD_MEMBERS)
    (driver.invite_members if use_invitation else driver.add_members)(target.id, people)
    directory.forget()
    return {"ok": True, "group": {"puid": target.id, "name": target.name}, "invited": use_invitation,
            "count": len(people)}


@group_op_errors("remove")
def remove_members(driver: Driver, group: str, members: list[str]) -> dict[str, Any]:
    require(driver, Capability.REMOVE_MEMBERS)
    directory = directory_of(driver)
    target = _group(directory, group)
    me = directory.me()
    if target.owner_id and target.owner_id != me.id:
        raise CommandError("not_owner", f"the bot does not own the group {target.name}")
    people = _ids(members, "members")
    if me.id in people:
        raise CommandError("invalid", "the bot cannot remove itself")
    known = {member.id for member in directory.members(target.id, fresh=True)}
    missing = [person for person in people if person not in known]
    if missing:
        raise CommandError("not_found", f"not members of {target.name}: {', '.join(missing)[:200]}")
    driver.remove_members(target.id, people)
    directory.forget()
    return {"ok": True, "group": {"puid": target.id, "name": target.name}, "removed": people}


@driver_errors
def accept_friend(driver: Driver, user_name: str, verify_content: str = "") -> dict[str, Any]:
    """Accept the stored request of `user_name` (the seam needs the request's ticket, kept by builtin_handlers)."""
    require(driver, Capability.ACCEPT_FRIEND)
    from wechat.builtin_handlers import friend_request_event
    from wechat.control import bot_state

    request = friend_request_event(bot_state(), user_name) if isinstance(user_name, str) else None
    if request is None:
        raise CommandError("not_found", f"no pending friend request from {str(user_name)[:64]!r}")
    driver.accept_friend(request)
    directory = directory_of(driver)
    directory.forget()
    chat = directory.chat(request.user_id)
    return {"ok": True, "friend": {"puid": request.user_id, "name": chat.name or request.nick_name}}


@driver_errors
def add_friend(driver: Driver, puid: str, verify_content: str = "") -> dict[str, Any]:
    require(driver, Capability.ADD_FRIEND)
    if not isinstance(puid, str) or not puid:
        raise CommandError("invalid", "the user id must be a non-empty string")
    driver.add_friend(puid, verify_content or "")
    return {"ok": True, "user": {"puid": puid, "name": directory_of(driver).chat(puid).name}}


@driver_errors
def set_remark(driver: Driver, puid: str, remark: str) -> dict[str, Any]:
    require(driver, Capability.SET_REMARK)
    chat = _chat(directory_of(driver), puid)
    if chat.kind != "friend":
        raise CommandError("invalid", f"{chat.name} is not a friend; only friends have remark names")
    driver.set_remark(chat.id, remark)
    directory_of(driver).forget()
    return {"ok": True, "user": {"puid": chat.id, "name": chat.name}, "remark": remark}


@driver_errors
def clear_blacklist_remark(driver: Driver, puid: str) -> dict[str, Any]:
    from wechat.automation.blacklist import plain_remark

    if Capability.SET_REMARK not in driver.capabilities:
        return {"ok": True, "changed": False}
    friend = next((f for f in driver.friends() if f.id == puid), None)
    plain = plain_remark(friend.remark_name) if friend is not None else None
    if plain is None:
        return {"ok": True, "changed": False}
    driver.set_remark(puid, plain)
    directory_of(driver).forget()
    return {"ok": True, "changed": True, "remark": plain}


@driver_errors
def list_chats(driver: Driver, kind: str = "all") -> dict[str, Any]:
    sources = {"friends": driver.friends, "groups": driver.groups, "mps": driver.mps}
    if kind != "all" and kind not in sources:
        raise CommandError("invalid", f"kind must be one of all, {', '.join(sources)}")
    chosen = sources if kind == "all" else {kind: sources[kind]}
    return {"ok": True, **{name: [{"puid": chat.id, "name": getattr(chat, "remark_name", "") or
                                   getattr(chat, "nick_name", "") or getattr(chat, "name", "")}
                                  for chat in get()] for name, get in chosen.items()}}


@driver_errors
def list_members(driver: Driver, group: str) -> dict[str, Any]:
    directory = directory_of(driver)
    target = _group(directory, group)
    me = directory.me()
    members = [{"puid": m.id, "name": m.display_name or m.nick_name}
               for m in directory.members(target.id, fresh=True) if m.id != me.id]
    return {"ok": True, "group": {"puid": target.id, "name": target.name},
            "is_owner": target.owner_id == me.id, "members": members}


COMMANDS = {
    "list_chats": list_chats,
    "list_members": list_members,
    "send_message": send_message,
    "create_group": create_group,
    "add_members": add_members,
    "remove_members": remove_members,
    "accept_friend": accept_friend,
    "add_friend": add_friend,
    "set_remark": set_remark,
    "clear_blacklist_remark": clear_blacklist_remark,
}
