"""What the dashboard can ask the live bot to do, as plain functions of a wxpy Bot.

Each returns a JSON-able dict or raises CommandError with a stable code the API maps to a status:
not_found, not_owner, not_reachable, invalid, rate_limited, wechat_error, unsupported (the driver lacks the
capability: 409), and not_logged_in (raised before any of these run).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from libs.uploads import UploadNotFound, resolve_upload, upload_root
from wechat.driver_factory import itchat
from wechat.group_errors import group_op_error
from wechat.media_send_limits import send_refusal
from wechat.sent_archive import archive_sent

logger = logging.getLogger(__name__)

RATE_LIMIT_CODES = {1205}  # "operation too frequent"
NOT_REACHABLE_CODE = 1204  # the recipient is not a friend, or is the bot itself (wxpy issue 141)
NOT_FRIEND = ("WeChat delivers only to friends, groups and MPs: {name} is a group member who is not a friend "
              "of the bot (WeChat answers 1204)")
TO_SELF = "the bot cannot send a message to itself (WeChat answers 1204); use the file helper"
INVITE_ABOVE = 40  # WeChat adds members directly only to groups of at most 40; larger ones need an invitation
MAX_GROUP_SIZE = 500


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message}


def wechat_errors(func):
    """Translate wxpy/itchat failures into CommandError."""
    from functools import wraps

    @wraps(func)
    def wrapper(*args, **kwargs):
        from wxpy.exceptions import ResponseError

        try:
            return func(*args, **kwargs)
        except CommandError:
            raise
        except itchat.SendFailed as exc:
            raise _response_error(exc.code, exc.message) from exc
        except ResponseError as exc:
            raise _response_error(exc.err_code, exc.err_msg) from exc

    return wrapper


def _response_error(code, message) -> CommandError:
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = None
    if number in RATE_LIMIT_CODES:
        return CommandError("rate_limited", "WeChat says the operation is too frequent; try again later")
    if number == NOT_REACHABLE_CODE:
        return CommandError("not_reachable", "WeChat refused the recipient (code 1204): not a friend of the bot, "
                                             "or the bot itself")
    return CommandError("wechat_error", f"WeChat refused the operation (code {code}): {message or ''}".strip())


# -- lookups -----------------------------------------------------------------------------------------------------
def find_chat(bot, puid: str):
    """A friend, group or MP by puid; failing that, a member of one of the bot's groups."""
    for chat in bot.chats():
        if chat.puid == puid:
            return chat
    for group in bot.groups():
        for member in group.members:
            if member.puid == puid:
                return member
    raise CommandError("not_found", f"no contact, group or member with id {puid!r}")


def find_group(bot, puid: str):
    for group in bot.groups():
        if group.puid == puid:
            return group
    raise CommandError("not_found", f"no group with id {puid!r}")


def find_members(group, puids: list[str]) -> list:
    members = {member.puid: member for member in group.members}
    missing = [puid for puid in puids if puid not in members]
    if missing:  # the local member list lags behind WeChat's (changes arrive with the next sync): ask once
        group.update_group(members_details=False)
        members = {member.puid: member for member in group.members}
        missing = [puid for puid in puids if puid not in members]
    if missing:
        raise CommandError("not_found", f"not members of {group.name}: {', '.join(missing)}")
    return [members[puid] for puid in puids]


def unreachable_reason(chat, bot) -> str | None:
    """Why WeChat would refuse to deliver to `chat` (1204), known before sending: the bot itself, or a group member
    who is not a friend (find_chat returns a Member only for people who are not among the friends)."""
    from wxpy import Member

    if chat == bot.self:
        return TO_SELF
    if isinstance(chat, Member):
        return NOT_FRIEND.format(name=chat.name or chat.puid)
    return None


def find_people(bot, puids: list[str]) -> list:
    return [find_chat(bot, puid) for puid in puids]


def _chat_dict(chat) -> dict[str, Any]:
    return {"puid": chat.puid, "name": chat.name}


def _require_owner(group) -> None:
    if not group.is_owner:
        raise CommandError("not_owner", f"the bot does not own the group {group.name}")


# -- commands ----------------------------------------------------------------------------------------------------
def uploads_to_send(files: Any) -> list:
    """Upload ids (POST /api/uploads) -> the stored uploads, resolved under the uploads folder by the worker itself.

    A task message comes from whoever can reach the broker: it names files by upload id only, never by path, so it
    cannot make the bot send a file the worker can read elsewhere (a path, or an id leading out, is refused)."""
    if files is None:
        return []
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise CommandError("invalid", "files must be a list of upload ids (POST /api/uploads), never paths")
    root = upload_root()
    try:
        uploads = [resolve_upload(root, upload_id) for upload_id in files]
    except UploadNotFound as exc:
        raise CommandError("invalid", f"unknown upload id {str(exc)[:40]!r}") from None
    for item in uploads:  # before anything is sent: WeChat would refuse it half-way
        refusal = send_refusal(item.kind, item.size, item.name)
        if refusal:
            raise CommandError("invalid", refusal)
    return uploads


@wechat_errors
def send_message(bot, to: str, text: str = "", files: list[str] | None = None,
                 msg_ids: list[int] | None = None) -> dict[str, Any]:
    """Send text and/or uploads (by upload id) to one chat. msg_ids fix each part's ClientMsgId."""
    uploads = uploads_to_send(files)  # before anything is sent: all or nothing
    if not isinstance(text, str):
        raise CommandError("invalid", "text must be a string")
    chat = find_chat(bot, to)
    refused = unreachable_reason(chat, bot)
    if refused:
        raise CommandError("not_reachable", refused)
    parts: list[tuple[str, Any]] = ([("text", text)] if text else []) + [("file", u) for u in uploads]
    if not parts:
        raise CommandError("invalid", "nothing to send")
    ids = list(msg_ids or []) + [None] * len(parts)
    sent = []
    try:
        for (kind, payload), msg_id in zip(parts, ids, strict=False):
            if kind == "text":
                reply = itchat.send_text(chat, payload, msg_id)
            else:
                reply = itchat.send_media(chat, payload.path, payload.kind, payload.name, msg_id)
            sent.append((kind, payload, reply))
    finally:
        archive_sent(bot, chat, sent)  # what went out, even when a later part failed
    return {"ok": True, "to": _chat_dict(chat), "parts": len(parts)}


@wechat_errors
def create_group(bot, members: list[str], topic: str = "") -> dict[str, Any]:
    people = find_people(bot, members)
    if len(people) < 2:
        raise CommandError("invalid", "WeChat needs at least two other members to create a group")
    # itchat's request, read here: wxpy's create_group turns every failure into a bare Exception, and a failed
    # creation is Ret 0 with the reason in an <e> XML (wechat/group_errors.py).
    from wxpy import Group
    from wxpy.utils import wrap_user_name

    answer = bot.core.create_chatroom(memberList=wrap_user_name(bot.except_self(people)), topic=topic or "")
    base = answer.get("BaseResponse") or {}
    problem = group_op_error("create", base.get("Ret"), base.get("RawMsg"), base.get("ErrMsg"),
                             chat_room_name=answer.get("ChatRoomName"))
    if problem:
        raise CommandError(*problem)
    group = Group(bot.core.update_chatroom(userName=answer["ChatRoomName"]), bot)
    return {"ok": True, "group": _chat_dict(group)}


@wechat_errors
def add_members(bot, group: str, members: list[str], invite: bool | None = None) -> dict[str, Any]:
    """Add people to a group: directly up to 40 members, by invitation above (or when invite=True)."""
    target = find_group(bot, group)
    people = find_people(bot, members)
    size = len(target.members)
    if size + len(people) > MAX_GROUP_SIZE:
        raise CommandError("invalid", f"{target.name} has {size} members; the limit is {MAX_GROUP_SIZE}")
    use_invitation = invite if invite is not None else size > INVITE_ABOVE
    from wxpy.exceptions import ResponseError
    from wxpy.utils import handle_response

    try:
        handle_response()(lambda: target.add_members(people, use_invitation=use_invitation))()
    except ResponseError as exc:
        raise CommandError(*(group_op_error("add", exc.err_code, exc.err_msg) or ("wechat_error", str(exc)))) from exc
    return {"ok": True, "group": _chat_dict(target), "invited": use_invitation, "count": len(people)}


@wechat_errors
def remove_members(bot, group: str, members: list[str]) -> dict[str, Any]:
    target = find_group(bot, group)
    _require_owner(target)
    people = find_members(target, members)
    if any(person == bot.self for person in people):
        raise CommandError("invalid", "the bot cannot remove itself")
    from wxpy.exceptions import ResponseError

    try:
        target.remove_members(people)
    except ResponseError as exc:
        raise CommandError(*(group_op_error("remove", exc.err_code, exc.err_msg) or ("wechat_error", str(exc)))) \
            from exc
    return {"ok": True, "group": _chat_dict(target), "removed": [p.puid for p in people]}


@wechat_errors
def accept_friend(bot, user_name: str, verify_content: str = "") -> dict[str, Any]:
    bot.accept_friend(user_name, verify_content)
    # wxpy looks the new friend up by comparing a Friend with the user-name string, which never matches.
    friend = next((f for f in bot.friends() if f.user_name == user_name), None)
    return {"ok": True, "friend": _chat_dict(friend) if friend is not None else None}


@wechat_errors
def add_friend(bot, puid: str, verify_content: str = "") -> dict[str, Any]:
    person = find_chat(bot, puid)
    bot.add_friend(person, verify_content)
    return {"ok": True, "user": _chat_dict(person)}


@wechat_errors
def set_remark(bot, puid: str, remark: str) -> dict[str, Any]:
    person = find_chat(bot, puid)
    if not hasattr(person, "set_remark_name"):
        raise CommandError("invalid", f"{person.name} is not a friend; only friends have remark names")
    person.set_remark_name(remark)
    return {"ok": True, "user": _chat_dict(person), "remark": remark}


@wechat_errors
def clear_blacklist_remark(bot, puid: str) -> dict[str, Any]:
    """Take the blacklist prefix off a friend's live remark name (the vote-kick put it there), if it is there."""
    from wechat.automation.blacklist import plain_remark

    person = find_chat(bot, puid)
    plain = plain_remark(getattr(person, "remark_name", None) or "")
    if plain is None or not hasattr(person, "set_remark_name"):
        return {"ok": True, "changed": False}
    person.set_remark_name(plain)
    return {"ok": True, "changed": True, "remark": plain}


def list_chats(bot, kind: str = "all") -> dict[str, Any]:
    """The bot's live friends, groups and MPs with their puids (the database copy comes from the sync)."""
    # wxpy counts the bot itself among its friends; nobody sends a message to themselves from the dashboard.
    sources = {"friends": lambda: bot.except_self(bot.friends()), "groups": bot.groups, "mps": bot.mps}
    if kind != "all" and kind not in sources:
        raise CommandError("invalid", f"kind must be one of all, {', '.join(sources)}")
    chosen = sources if kind == "all" else {kind: sources[kind]}
    return {"ok": True, **{name: [_chat_dict(chat) for chat in get() if chat.puid] for name, get in chosen.items()}}


def list_members(bot, group: str) -> dict[str, Any]:
    target = find_group(bot, group)
    members = [_chat_dict(member) for member in target.members if member.puid and member != bot.self]
    return {"ok": True, "group": _chat_dict(target), "is_owner": bool(target.is_owner), "members": members}


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


def commands_for(bot) -> dict[str, Any]:
    """The command table of this connection: the wxpy functions above, or a seam driver's (wechat/seam_commands)."""
    from wechat.seam import is_driver

    if is_driver(bot):
        from wechat import seam_commands

        return seam_commands.COMMANDS
    return COMMANDS


def run_command(bot, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    command = commands_for(bot).get(name)
    if command is None:
        return CommandError("invalid", f"unknown command {name!r}").as_dict()
    try:
        inspect.signature(command).bind(bot, **kwargs)
    except TypeError as exc:
        return CommandError("invalid", f"bad arguments for {name}: {exc}").as_dict()
    try:
        return command(bot, **kwargs)
    except CommandError as exc:
        return exc.as_dict()
