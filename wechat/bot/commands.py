"""The bot commands, one table for every driver (drivers.interface.Driver; the itchat driver's wxpy Bot is reached
through its ItchatDriver, wechat/bot/driver_factory.seam_driver). wechat/bot/command_runner.py runs them.

Each command checks the capability first (`require`): what the driver cannot do answers `unsupported`, which the
API maps to 409 and automation skips with an audit entry. Driver errors map in one place (`command_error`):
RateLimited → rate_limited (the send jobs' back-off), NotLoggedIn → not_logged_in, WeChat's 1204 →
not_reachable, an unknown id → not_found, anything else → wechat_error.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.group_errors import RATE_LIMIT_CODE, group_op_error
from drivers.interface import Driver, require
from drivers.types import Capability, DriverError, NotLoggedIn, RateLimited, Rejected, Unsupported
from wechat.bot.command_runner import INVITE_ABOVE, MAX_GROUP_SIZE, CommandError, uploads_to_send
from wechat.bot.driver_factory import seam_driver
from wechat.bot.seam import ChatName, SeamDirectory, directory_of
from wechat.messages.sent import archive_sent

logger = logging.getLogger(__name__)

NOT_REACHABLE_CODE = 1204  # WeChat's answer for a recipient it will not deliver to
NOT_FRIEND = ("WeChat delivers only to friends, groups and MPs: {name} is a group member who is not a friend "
              "of the bot (WeChat answers 1204)")
TO_SELF = "the bot cannot send a message to itself (WeChat answers 1204); use the file helper"
# Keyword arguments a driver's send may take besides the seam's (only passed to a method that names them):
# client_msg_id — web WeChat's ClientMsgId per part (the send job's stable id); kind — what an upload is sent as.
SEND_OPTIONS = ("client_msg_id", "kind")


def command_error(exc: DriverError, operation: str | None = None) -> CommandError:
    """The one mapping of the seam's errors to the commands' codes (and so to the API's statuses).

    A driver marks a message that is already a sentence for the operator with ``details["explained"]`` (the itchat
    driver reads web WeChat's group answers itself). A group operation (`operation`: create, add, remove) whose
    driver reports only WeChat's code (the gateway) is read by drivers/group_errors.py, so both drivers give the same
    errors and the same back-off."""
    explained = bool(exc.details.get("explained"))
    if isinstance(exc, Unsupported):
        return CommandError("unsupported", exc.message)
    if operation is not None and not explained and isinstance(exc, RateLimited | Rejected):
        ret = exc.details.get("ret", exc.code)
        problem = group_op_error(operation, ret if isinstance(exc, Rejected) else RATE_LIMIT_CODE, exc.message)
        if problem is not None:
            return CommandError(*problem)
    if isinstance(exc, RateLimited):
        return CommandError("rate_limited", exc.message if explained else
                            "WeChat says the operation is too frequent; try again later")
    if isinstance(exc, NotLoggedIn):
        return CommandError("not_logged_in", "WeChat is not logged in")
    if exc.details.get("not_found"):
        return CommandError("not_found", exc.message)
    if exc.code == NOT_REACHABLE_CODE:
        return CommandError("not_reachable", exc.message if explained else
                            "WeChat refused the recipient (code 1204): not a friend of the bot, or the bot itself")
    return CommandError("wechat_error", exc.message if explained else f"WeChat refused the operation: {exc}")


def driver_errors(func=None, *, operation: str | None = None):
    """A command: called with the live connection (converted to its seam driver); driver errors as CommandError
    (`operation` names a group operation, read as such: command_error)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(connection, *args, **kwargs):
            try:
                return func(seam_driver(connection), *args, **kwargs)
            except DriverError as exc:
                raise command_error(exc, operation) from exc

        return wrapper

    return decorate(func) if func is not None else decorate


def _chat(directory: SeamDirectory, chat_id: str) -> ChatName:
    if not isinstance(chat_id, str) or not chat_id:
        raise CommandError("invalid", "the chat id must be a non-empty string")
    chat = directory.chat(chat_id)
    if not chat.name and chat.kind == "stranger":
        raise CommandError("not_found", f"no contact, group or member with id {chat_id[:64]!r}")
    return chat


def _person(directory: SeamDirectory, chat_id: str) -> ChatName:
    """A friend, group or MP by id; failing that the bot itself (kind "self") or a member of one of its groups
    (kind "member"): who may be put in a group or asked to be a friend, but not sent to (WeChat answers 1204)."""
    try:
        return _chat(directory, chat_id)
    except CommandError as exc:
        if exc.code != "not_found":
            raise
        me = directory.me()
        if chat_id == me.id:
            return ChatName(me.id, me.nick_name, "self")
        member = directory.member_anywhere(chat_id)
        if member is None:
            raise
        return ChatName(member.id, member.display_name or member.nick_name, "member")


def _group(directory: SeamDirectory, group_id: str):
    group = directory.group(group_id) if isinstance(group_id, str) else None
    if group is None:
        raise CommandError("not_found", f"no group with id {str(group_id)[:64]!r}")
    return group


def _ids(values: Any, what: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CommandError("invalid", f"{what} must be a list of ids")
    return values


def _with_options(method: Callable, **options: Any) -> Callable:
    """`method` with those of `options` (SEND_OPTIONS) that it takes; the others are left out."""
    accepted = inspect.signature(method).parameters
    given = {name: value for name, value in options.items()
             if name in SEND_OPTIONS and name in accepted and value is not None}
    return functools.partial(method, **given) if given else method


# -- commands ------------------------------------------------------------------------------------------------------
@driver_errors
def send_message(driver: Driver, to: str, text: str = "", files: list[str] | None = None,
                 msg_ids: list[int] | None = None) -> dict[str, Any]:
    """Send text and/or uploads (by upload id) to one chat; each part WeChat accepted is archived with its id.
    msg_ids fix each part's ClientMsgId on a driver that sends one (the itchat driver)."""
    uploads = uploads_to_send(files, driver.name)  # the driver's own size limits, before anything is sent
    if not isinstance(text, str):
        raise CommandError("invalid", "text must be a string")
    directory = directory_of(driver)
    chat = _person(directory, to)
    if chat.kind == "self":
        raise CommandError("not_reachable", TO_SELF)
    if chat.kind == "member":
        raise CommandError("not_reachable", NOT_FRIEND.format(name=chat.name or chat.id))
    parts: list[tuple[str, Any]] = ([("text", text)] if text else []) + [("file", u) for u in uploads]
    if not parts:
        raise CommandError("invalid", "nothing to send")
    # Every capability before the first part: a message goes out whole or not at all.
    for kind, payload in parts:
        require(driver, Capability.SEND_TEXT if kind == "text" else
                Capability.SEND_IMAGE if payload.kind == "image" else Capability.SEND_FILE)
    ids = list(msg_ids or []) + [None] * len(parts)
    sent: list[tuple[str, Any, str]] = []
    try:
        for (kind, payload), msg_id in zip(parts, ids, strict=False):
            if kind == "text":
                result = _with_options(driver.send_text, client_msg_id=msg_id)(chat.id, payload)
            elif payload.kind == "image":
                result = _with_options(driver.send_image, client_msg_id=msg_id)(
                    chat.id, Path(payload.path).read_bytes(), payload.name)
            else:
                result = _with_options(driver.send_file, client_msg_id=msg_id, kind=payload.kind)(
                    chat.id, Path(payload.path).read_bytes(), payload.name)
            sent.append((kind, payload, result.msg_id))
    finally:
        archive_sent(directory, chat, sent)
    return {"ok": True, "to": {"puid": chat.id, "name": chat.name}, "parts": len(parts),
            "msg_ids": [msg_id for _, _, msg_id in sent]}


@driver_errors(operation="create")
def create_group(driver: Driver, members: list[str], topic: str = "") -> dict[str, Any]:
    require(driver, Capability.CREATE_GROUP)
    people = _ids(members, "members")
    if len(people) < 2:
        raise CommandError("invalid", "WeChat needs at least two other members to create a group")
    directory = directory_of(driver)
    for person in people:
        _person(directory, person)
    group_id = driver.create_group(topic or "", people)
    directory.forget()
    return {"ok": True, "group": {"puid": group_id, "name": topic or ""}}


@driver_errors(operation="add")
def add_members(driver: Driver, group: str, members: list[str], invite: bool | None = None) -> dict[str, Any]:
    """Directly up to 40 members, by invitation above (or when invite=True), as on the itchat path."""
    directory = directory_of(driver)
    target = _group(directory, group)
    people = _ids(members, "members")
    for person in people:
        _person(directory, person)
    size = len(directory.members(target.id)) or target.member_count
    if size + len(people) > MAX_GROUP_SIZE:
        raise CommandError("invalid", f"{target.name} has {size} members; the limit is {MAX_GROUP_SIZE}")
    use_invitation = invite if invite is not None else size > INVITE_ABOVE
    require(driver, Capability.INVITE_MEMBERS if use_invitation else Capability.ADD_MEMBERS)
    (driver.invite_members if use_invitation else driver.add_members)(target.id, people)
    directory.forget()
    return {"ok": True, "group": {"puid": target.id, "name": target.name}, "invited": use_invitation,
            "count": len(people)}


@driver_errors(operation="remove")
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
    from wechat.bot.builtin_handlers import friend_request_event
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
    person = _person(directory_of(driver), puid)
    driver.add_friend(person.id, verify_content or "")
    return {"ok": True, "user": {"puid": person.id, "name": person.name}}


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
                                   getattr(chat, "nick_name", "") or getattr(chat, "name", "") or
                                   getattr(chat, "alias", "")}
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
