"""``ItchatDriver``: the seam's ``Driver`` over the listener's wxpy Bot (web and UOS login).

The listener still builds and logs in the Bot (drivers/itchat/connection.py: held loop, gate, checkpoint,
resilience); this class is how the product asks that Bot for lists and commands in the seam's terms. Ids are the
stable puids of the indexed puid map (``IdStability.PER_LOGIN``: UserNames change per login, puids do not).

Errors are the seam's: WeChat's BaseResponse codes map as the wxpy-side commands mapped them (1205 →
``RateLimited``, 1204 → ``Rejected`` with code 1204, the group answers of group_errors.py, the recipients WeChat
will not deliver to known before sending). A message that is a complete sentence for the operator carries
``details["explained"] = True`` (the product shows it as it is).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from drivers.group_errors import group_op_error
from drivers.itchat import CAPABILITIES, ID_STABILITY, NAME
from drivers.itchat.contacts import MEMBER_BATCH, SPECIAL_USER_NAMES, refresh_contacts
from drivers.itchat.directory import ChatDirectory
from drivers.itchat.sender import SendFailed, send_media, send_text
from drivers.types import (
    Contact,
    ContactKind,
    DriverError,
    FriendRequestEvent,
    Group,
    LoginQr,
    LoginState,
    MediaTooLarge,
    Member,
    Mention,
    NotLoggedIn,
    RateLimited,
    Rejected,
    SelfInfo,
    SendResult,
    Unavailable,
    Unsupported,
)

logger = logging.getLogger(__name__)

RATE_LIMIT_CODES = {1205}  # "operation too frequent"
NOT_REACHABLE_CODE = 1204  # the recipient is not a friend, or is the bot itself (wxpy issue 141)
# The product refuses these before asking (wechat/bot/commands.py); the driver guards its own sends as well.
NOT_FRIEND = "WeChat will not deliver to {name}: a group member who is not a friend of the bot (1204)"
TO_SELF = "WeChat will not deliver a message from the bot to itself (1204)"
MENTION_SEPARATOR = "\u2005"  # what WeChat clients put after a typed @name
MEDIA_KINDS = ("image", "emoticon", "video", "file")
EXPLAINED = {"explained": True}


def response_error(code: object, message: object) -> DriverError:
    """A WeChat BaseResponse failure as the seam's error (the mapping the wxpy-side commands had)."""
    try:
        number = int(code)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = None
    if number in RATE_LIMIT_CODES:
        return RateLimited("WeChat says the operation is too frequent; try again later", number, dict(EXPLAINED))
    if number == NOT_REACHABLE_CODE:
        return Rejected("WeChat refused the recipient (code 1204): not a friend of the bot, or the bot itself",
                        number, dict(EXPLAINED))
    text = f"WeChat refused the operation (code {code}): {message or ''}".strip()
    return Rejected(text, number, dict(EXPLAINED))


def group_error(operation: str, ret: object, *messages: object, chat_room_name: str | None = None) -> None:
    """Raise the seam's error for a failed group operation (group_errors.py reads WeChat's answer)."""
    problem = group_op_error(operation, ret, *messages, chat_room_name=chat_room_name)
    if problem is None:
        return
    code, message = problem
    try:
        number = int(ret)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = None
    raise (RateLimited if code == "rate_limited" else Rejected)(message, number, dict(EXPLAINED))


def _checked(answer: Any) -> Any:
    """Raise for an itchat answer whose BaseResponse says it failed (what wxpy's handle_response checks)."""
    base = answer.get("BaseResponse") if hasattr(answer, "get") else None
    if isinstance(base, dict) and base.get("Ret", 0) != 0:
        raise response_error(base.get("Ret"), base.get("ErrMsg"))
    return answer


def seam_errors(method: Callable) -> Callable:
    """wxpy's ResponseError, our SendFailed, and a connection that failed, as the seam's errors."""
    import functools

    @functools.wraps(method)
    def wrapper(self: ItchatDriver, *args, **kwargs):
        from requests import RequestException
        from wxpy.exceptions import ResponseError

        if not self.bot.alive:
            raise NotLoggedIn("WeChat is not logged in")
        try:
            return method(self, *args, **kwargs)
        except DriverError:
            raise
        except SendFailed as exc:
            raise response_error(exc.code, exc.message) from exc
        except ResponseError as exc:
            raise response_error(exc.err_code, exc.err_msg) from exc
        except RequestException as exc:
            raise Unavailable(f"cannot reach WeChat ({type(exc).__name__})") from exc

    return wrapper


class ItchatDriver:
    """The seam over one logged-in wxpy Bot (one driver per Bot: ``driver_for``)."""

    name = NAME
    capabilities = CAPABILITIES
    id_stability = ID_STABILITY

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self._lock = threading.Lock()
        self._rooms_key: tuple = ()
        self._rooms: dict[str, dict] = {}
        # Groups this driver changed: WeChat does not always tell, so their member list is fetched once again.
        self._changed: set[str] = set()
        self._held: dict[str, Any] = {}  # MsgId -> the batch's wxpy Message (download_media)

    # -- login: the listener logs the Bot in (wxpy's QR callback, the loop gate); the driver only reports ----------
    def login_qr(self) -> LoginQr:
        raise Unsupported("the itchat driver logs in inside the listener (wxpy's QR callback), not through the seam")

    def login_state(self) -> LoginState:
        return LoginState.LOGGED_IN if self.bot.alive else LoginState.LOGGED_OUT

    def logout(self) -> None:
        self.bot.logout()

    def close(self) -> None:
        """Nothing to release: the listener ends the Bot's loops (and keeps the session) itself."""

    def poll_events(self, timeout: float) -> list:
        """The itchat driver's events reach the product through the held Bot's own loop (the dispatcher runs in it,
        a webwxsync batch at a time, so the SyncKey checkpoint can follow the archive): nothing is polled here."""
        time.sleep(max(0.0, timeout))
        return []

    def download_media(self, event, sink, max_bytes: int) -> int:
        """A received message's media, streamed into `sink` within `max_bytes` (drivers/itchat/media.py). The
        event's ``media_ref`` is the message's MsgId; the wxpy Message it names is the event's ``native`` one, or
        one the listener's loop holds while its batch runs (``hold``): web WeChat fetches media by that login's
        MsgId and skey, so only messages of the running login can be fetched."""
        from drivers.itchat.media import MediaTooLarge as ItchatTooLarge
        from drivers.itchat.media import NoMedia, download_message_media_to

        msg = getattr(event, "native", None) or self._held.get(getattr(event, "media_ref", "") or "")
        if msg is None or not getattr(event, "media_ref", ""):
            raise Rejected("this message's media cannot be fetched (not received by this login)")
        if not self.bot.alive:
            raise NotLoggedIn("WeChat is not logged in")
        from requests import RequestException

        try:
            return download_message_media_to(msg, sink, max_bytes)
        except ItchatTooLarge as exc:
            raise MediaTooLarge.over(exc.limit, exc.size) from exc
        except NoMedia as exc:
            raise Rejected(f"no media to fetch: {exc}") from exc
        except RequestException as exc:
            raise Unavailable(f"cannot reach WeChat ({type(exc).__name__})") from exc

    def hold(self, msg_id: str, msg: Any) -> None:
        """Keep the wxpy Message `msg_id` names until ``release_held`` (the end of its batch), for download_media."""
        if msg_id:
            self._held[msg_id] = msg

    def release_held(self) -> None:
        self._held.clear()

    # -- lists ------------------------------------------------------------------------------------------------
    @seam_errors
    def self_info(self) -> SelfInfo:
        me = self.bot.self
        return SelfInfo(id=me.puid or "", nick_name=me.nick_name or "", alias=me.wxid or "")

    @seam_errors
    def friends(self) -> list[Contact]:
        return self._contacts(self.bot.except_self(self.bot.friends()), ContactKind.FRIEND)

    @seam_errors
    def mps(self) -> list[Contact]:
        return self._contacts(self.bot.mps(), ContactKind.MP)

    def refresh_contacts(self) -> None:
        """Fetch the contact list again (friends and MPs that are gone are forgotten); the sync calls this first."""
        if not self.bot.alive:
            raise NotLoggedIn("WeChat is not logged in")
        refresh_contacts(self.bot.core)

    @seam_errors
    def groups(self, progress: Callable[[int, int], None] = lambda done, total: None) -> list[Group]:
        """The groups, member lists fetched first for those that lack one (one request per 50 groups, as web
        WeChat does); members are not listed here (``group_members``)."""
        self._load_member_lists(progress)
        me = self.bot.self
        result = []
        for group in self.bot.groups():
            puid = ChatDirectory.puid_of(group)
            if not puid:
                logger.info("skipping group %r, it has no usable puid", group.user_name)
                continue
            raw = group.raw
            owner = raw.get("ChatRoomOwner") or ""
            is_owner = bool(raw.get("IsOwner")) or owner == me.user_name
            owner_id = me.puid if is_owner else self._member_puid(group, owner) if owner else ""
            result.append(Group(id=puid, name=raw.get("NickName") or "", owner_id=owner_id or "",
                                member_count=len(raw.get("MemberList") or [])))
        return result

    @seam_errors
    def group_members(self, group_id: str) -> list[Member]:
        """The members itchat holds (WeChat keeps them current through webwxsync); a group this driver added
        people to or removed them from is fetched once first, since the local list lags behind that change."""
        group = self._group(group_id)
        if group.user_name in self._changed:
            self._changed.discard(group.user_name)
            group.update_group(members_details=False)
            self._rooms_key = ()
            group = self._group(group_id)
        from wxpy.api.chats import Member as WxpyMember

        members = []
        for raw in group.raw.get("MemberList") or []:
            # Through wxpy's Member, as the sync always did: the puid map also updates the member's captions.
            puid = ChatDirectory.puid_of(WxpyMember(raw, group))
            if puid:
                members.append(Member(id=puid, nick_name=raw.get("NickName") or "",
                                      display_name=raw.get("DisplayName") or ""))
        return members

    # -- commands ---------------------------------------------------------------------------------------------
    @seam_errors
    def send_text(self, to_id: str, text: str, mentions: Sequence[Mention] = (),
                  client_msg_id: int | None = None) -> SendResult:
        chat = self._recipient(to_id)
        missing = "".join(f"@{m.name}{MENTION_SEPARATOR}" for m in mentions if f"@{m.name}" not in text)
        return self._result(send_text(chat, missing + text, client_msg_id))

    @seam_errors
    def send_image(self, to_id: str, data: bytes, file_name: str = "image.png",
                   client_msg_id: int | None = None) -> SendResult:
        return self._send_media(to_id, data, file_name, "image", client_msg_id)

    @seam_errors
    def send_file(self, to_id: str, data: bytes, file_name: str, client_msg_id: int | None = None,
                  kind: str = "file") -> SendResult:
        """A file; ``kind`` emoticon or video sends it as web WeChat sends a GIF or an MP4 (the upload's kind)."""
        return self._send_media(to_id, data, file_name, kind if kind in MEDIA_KINDS else "file", client_msg_id)

    @seam_errors
    def send_emoji(self, to_id: str, md5: str, size: int) -> SendResult:
        chat = self._recipient(to_id)
        return self._result(chat.send_raw_msg(47, "", uri="/webwxsendemoticon?fun=sys",
                                              msg_ext={"EmojiFlag": 2, "EMoticonMd5": str(md5)}))

    @seam_errors
    def accept_friend(self, request: FriendRequestEvent) -> None:
        """Accept by the requester's UserName of this login (``encrypt_user``, else the puid's UserName)."""
        user_name = request.encrypt_user or self._user_name(request.user_id)
        if not user_name:
            raise Rejected(f"no pending friend request from {request.user_id[:64]!r} in this login", None,
                           dict(EXPLAINED))
        from wxpy.utils import handle_response

        handle_response()(self.bot.core.add_friend)(userName=user_name, status=3, verifyContent="",
                                                   autoUpdate=True)

    @seam_errors
    def add_friend(self, user_id: str, text: str = "") -> None:
        self.bot.add_friend(self._chat(user_id), text or "")

    @seam_errors
    def create_group(self, name: str, member_ids: Sequence[str]) -> str:
        # itchat's request, read here: wxpy's create_group turns every failure into a bare Exception, and a failed
        # creation is Ret 0 with the reason in an <e> XML (group_errors.py).
        from wxpy import Group as WxpyGroup
        from wxpy.utils import wrap_user_name

        people = [self._chat(member) for member in member_ids]
        answer = self.bot.core.create_chatroom(memberList=wrap_user_name(self.bot.except_self(people)),
                                               topic=name or "")
        base = answer.get("BaseResponse") or {}
        group_error("create", base.get("Ret"), base.get("RawMsg"), base.get("ErrMsg"),
                    chat_room_name=answer.get("ChatRoomName"))
        group = WxpyGroup(self.bot.core.update_chatroom(userName=answer["ChatRoomName"]), self.bot)
        return ChatDirectory.puid_of(group) or ""

    @seam_errors
    def rename_group(self, group_id: str, name: str) -> None:
        self._group_op("rename", lambda: self._group(group_id).rename_group(name))

    @seam_errors
    def add_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        self._add(group_id, member_ids, invite=False)

    @seam_errors
    def invite_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        self._add(group_id, member_ids, invite=True)

    @seam_errors
    def remove_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        group = self._group(group_id)
        people = [self._chat(member) for member in member_ids]
        self._changed.add(group.user_name)
        self._group_op("remove", lambda: group.remove_members(people))

    def set_announcement(self, group_id: str, text: str) -> None:
        raise Unsupported("web WeChat has no group announcement API")

    @seam_errors
    def set_remark(self, user_id: str, remark: str) -> None:
        person = self._chat(user_id)
        if not hasattr(person, "set_remark_name"):
            raise Rejected(f"{person.name} is not a friend; only friends have remark names", None, dict(EXPLAINED))
        _checked(person.set_remark_name(remark))

    # -- helpers ----------------------------------------------------------------------------------------------
    @staticmethod
    def _contacts(chats: Any, kind: ContactKind) -> list[Contact]:
        result = []
        for chat in chats:
            if chat.user_name in SPECIAL_USER_NAMES:
                continue
            puid = ChatDirectory.puid_of(chat)
            if not puid:
                logger.info("skipping %r, it has no usable puid", getattr(chat, "user_name", "?"))
                continue
            raw = chat.raw
            result.append(Contact(id=puid, nick_name=raw.get("NickName") or "", kind=kind,
                                  remark_name=raw.get("RemarkName") or "", alias=raw.get("Alias") or "",
                                  sex=int(raw.get("Sex") or 0), province=raw.get("Province") or "",
                                  city=raw.get("City") or "", signature=raw.get("Signature") or ""))
        return result

    def _load_member_lists(self, progress: Callable[[int, int], None]) -> None:
        core = self.bot.core
        missing = [room["UserName"] for room in core.chatroomList if not room.get("MemberList")]
        for start in range(0, len(missing), MEMBER_BATCH):
            core.update_chatroom(missing[start:start + MEMBER_BATCH], detailedMember=False)
            progress(min(start + MEMBER_BATCH, len(missing)), len(missing))

    def _known_puid(self, user_name: str | None) -> str | None:
        puid_map = self.bot.puid_map
        return puid_map.user_names.get(user_name) if puid_map is not None and user_name else None

    def _user_name(self, puid: str) -> str | None:
        puid_map = self.bot.puid_map
        return puid_map.user_names.get_key(puid) if puid_map is not None and puid else None

    def _member_puid(self, group: Any, user_name: str) -> str:
        known = self._known_puid(user_name)
        if known:
            return known
        from wxpy.api.chats import Member as WxpyMember

        for raw in group.raw.get("MemberList") or []:
            if raw.get("UserName") == user_name:
                return ChatDirectory.puid_of(WxpyMember(raw, group)) or ""
        return ""

    def _room(self, user_name: str) -> dict | None:
        core = self.bot.core
        key = (id(core.chatroomList), len(core.chatroomList))
        with self._lock:
            if key != self._rooms_key or user_name not in self._rooms:
                self._rooms = {room.get("UserName"): room for room in core.chatroomList}
                self._rooms_key = key
            return self._rooms.get(user_name)

    def _group(self, group_id: str) -> Any:
        from wxpy import Group as WxpyGroup

        user_name = self._user_name(group_id)
        room = self._room(user_name) if user_name and user_name.startswith("@@") else None
        if room is not None:
            return WxpyGroup(room, self.bot)
        for group in self.bot.groups():  # a puid not met in this login yet: computing them all assigns it
            if ChatDirectory.puid_of(group) == group_id:
                return group
        raise Rejected(f"no group with id {str(group_id)[:64]!r}", None, {**EXPLAINED, "not_found": True})

    def _chat(self, chat_id: str) -> Any:
        """A friend, group or MP by puid; failing that, a member of one of the bot's groups."""
        user_name = self._user_name(chat_id)
        if user_name:
            chat = self.bot.chat_index.find(user_name) if hasattr(self.bot, "chat_index") else None
            if chat is not None:
                return chat
            if user_name == self.bot.self.user_name:
                return self.bot.self
        for chat in self.bot.chats():
            if ChatDirectory.puid_of(chat) == chat_id:
                return chat
        for group in self.bot.groups():
            for member in group.members:
                if ChatDirectory.puid_of(member) == chat_id:
                    return member
        raise Rejected(f"no contact, group or member with id {str(chat_id)[:64]!r}", None,
                       {**EXPLAINED, "not_found": True})

    def _recipient(self, chat_id: str) -> Any:
        """The chat to send to, refused before sending when WeChat would not deliver (1204)."""
        from wxpy import Member as WxpyMember

        chat = self._chat(chat_id)
        if chat == self.bot.self:
            raise Rejected(TO_SELF, NOT_REACHABLE_CODE, dict(EXPLAINED))
        if isinstance(chat, WxpyMember):
            raise Rejected(NOT_FRIEND.format(name=chat.name or chat_id), NOT_REACHABLE_CODE, dict(EXPLAINED))
        return chat

    def _send_media(self, to_id: str, data: bytes, file_name: str, kind: str,
                    client_msg_id: int | None) -> SendResult:
        chat = self._recipient(to_id)
        # itchat uploads from a path: a private temporary copy, named as WeChat should show it.
        with tempfile.TemporaryDirectory(prefix="itchat-send-") as folder:
            path = Path(folder) / (Path(file_name).name or "file")
            path.write_bytes(data)
            return self._result(send_media(chat, path, kind, file_name, client_msg_id))

    @staticmethod
    def _result(reply: Any) -> SendResult:
        return SendResult(msg_id=str(getattr(reply, "id", "") or ""))

    def _add(self, group_id: str, member_ids: Sequence[str], invite: bool) -> None:
        group = self._group(group_id)
        people = [self._chat(member) for member in member_ids]
        from wxpy.utils import handle_response

        self._changed.add(group.user_name)
        self._group_op("add", lambda: handle_response()(
            lambda: group.add_members(people, use_invitation=invite))())

    @staticmethod
    def _group_op(operation: str, call: Callable[[], Any]) -> None:
        from wxpy.exceptions import ResponseError

        try:
            call()
        except ResponseError as exc:
            group_error(operation, exc.err_code, exc.err_msg)
            raise response_error(exc.err_code, exc.err_msg) from exc


_drivers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_drivers_lock = threading.Lock()


def driver_for(bot: Any) -> ItchatDriver:
    """The one ItchatDriver of a wxpy Bot in this process (so the product's per-driver caches are per login)."""
    with _drivers_lock:
        found = _drivers.get(bot)
        if found is None:
            found = _drivers[bot] = ItchatDriver(bot)
        return found
