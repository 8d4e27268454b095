"""Gateway answers → plain values, accepting every shape the open-source clients record.

The 8059-era gateway and its forks disagree on casing and wrappers (``{"str": …}``, ``{"string": …}``,
plain strings; ``contactList`` vs ``ContactList``; ``Data`` a list or an object). Each reader here looks
for every recorded spelling; the sources are listed next to each fixture in tests/drivers/test_padpro_shapes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from drivers.types import (
    Contact,
    ContactKind,
    Group,
    LoginQr,
    LoginState,
    Member,
    NotLoggedIn,
    RateLimited,
    Rejected,
    SelfInfo,
    Unavailable,
)

OK = 200
LOGGED_OUT_WORDS = ("退出", "未登录", "离线", "掉线", "not logged", "logged out", "offline")
RATE_WORDS = ("频繁", "too frequent", "rate limit")
RATE_RETS = (1205, -22)
NOT_REACHABLE = 1204  # the recipient is not a friend (a group member) or the bot itself
NOT_REACHABLE_TEXT = "WeChat will not deliver to this recipient: not a friend of the bot, or the bot itself"
SPECIAL_IDS = frozenset({"filehelper", "fmessage", "weixin", "medianote", "floatbottle", "qmessage", "qqmail",
                         "tmessage", "newsapp", "newsapp_wechat", "notifymessage", "mphelper", "qqsafe"})


def text(value: Any) -> str:
    """A string from a plain value or any recorded wrapper: {"str"}, {"string"}, {"Str"}, {"String"}."""
    if isinstance(value, dict):
        for key in ("str", "string", "Str", "String"):
            if key in value:
                return text(value[key])
        return ""
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def pick(obj: Any, *names: str, default: Any = None) -> Any:
    """The first present field among ``names`` (the same field in its recorded spellings)."""
    if isinstance(obj, dict):
        for name in names:
            if name in obj and obj[name] is not None:
                return obj[name]
    return default


def integer(value: Any, default: int = 0) -> int:
    try:
        return int(text(value) if isinstance(value, dict) else value)
    except (TypeError, ValueError):
        return default


def envelope(payload: Any) -> Any:
    """``Data`` of a successful answer; the seam's errors for the others (never the key in a message)."""
    if not isinstance(payload, dict):
        raise Unavailable("the gateway answered something that is not a JSON object")
    code = pick(payload, "Code", "code")
    message = text(pick(payload, "Text", "Message", "message", "msg", default=""))[:300]
    data = pick(payload, "Data", "data")
    if code is None:
        if pick(payload, "Success", "success") is True:
            return data
        raise Unavailable("the gateway answered without a Code")
    code = integer(code, default=-1)
    if code == OK:
        return data
    if code == -2:
        raise Rejected("the gateway does not know this key (check the configured gateway key)", code=code)
    base = pick(data, "baseResponse", "BaseResponse", "base_response", "baseResp", default={})
    ret = integer(pick(base, "ret", "Ret", default=0))
    lowered = message.lower()
    if ret in RATE_RETS or any(w in lowered for w in RATE_WORDS):
        raise RateLimited(message or "the gateway asks to slow down", code=code, details={"ret": ret})
    if code == 300 and any(w in lowered for w in LOGGED_OUT_WORDS):
        raise NotLoggedIn(message or "not logged in", code=code)
    raise Rejected(message or f"the gateway refused the request (ret {ret})", code=code, details={"ret": ret})


def auth_keys(data: Any) -> list[str]:
    """GenAuthKey1/2: a bare list (older gateways, LangBot) or ``{"authKeys": [...]}`` (AstrBot)."""
    if isinstance(data, dict):
        data = pick(data, "authKeys", "AuthKeys", "keys", default=[])
    return [text(k) for k in data if text(k)] if isinstance(data, list) else []


def login_qr(data: Any) -> LoginQr:
    """GetLoginQrCodeNew: ``QrCodeUrl`` is an image URL whose ``data=`` holds the text to encode."""
    url = text(pick(data, "QrCodeUrl", "qrCodeUrl", "QrUrl", "qrUrl", default=""))
    query = parse_qs(urlsplit(url).query)
    payload = (query.get("data") or query.get("url") or [""])[0] or url
    uuid = text(pick(data, "Uuid", "uuid", "UUID", default="")) or payload.rstrip("/").rsplit("/", 1)[-1]
    if not payload:
        raise Unavailable("the gateway gave no QR code")
    return LoginQr(uuid=uuid, payload=payload)


def login_check(data: Any) -> tuple[LoginState, str]:
    """CheckLoginStatus: state 0 waiting, 1 scanned, 2 logged in, -2 (or 4) expired; wxid once in."""
    state = integer(pick(data, "state", "State", "status", default=0))
    wxid = text(pick(data, "wxid", "Wxid", "userName", "UserName", default=""))
    mapped = {0: LoginState.WAITING, 1: LoginState.SCANNED, 2: LoginState.LOGGED_IN}.get(state, LoginState.EXPIRED)
    return mapped, wxid


def login_status(data: Any) -> LoginState:
    """GetLoginStatus: ``loginState`` 1 means online (3 offline)."""
    return LoginState.LOGGED_IN if integer(pick(data, "loginState", "LoginState", default=0)) == 1 \
        else LoginState.LOGGED_OUT


def profile(data: Any) -> SelfInfo:
    info = pick(data, "userInfo", "UserInfo", default=data) or {}
    wxid = text(pick(info, "userName", "UserName", "user_name", "wxid", "Wxid", default=""))
    if not wxid:
        raise Unavailable("the gateway's profile has no user name")
    return SelfInfo(id=wxid, nick_name=text(pick(info, "nickName", "NickName", "nick_name", default="")),
                    alias=text(pick(info, "alias", "Alias", default="")))


def contact_usernames(data: Any) -> list[str]:
    """GetContactList: ``ContactList.contactUsernameList`` (AstrBot), or a list of ids or contacts."""
    found = pick(data, "ContactList", "contactList", default=data)
    if isinstance(found, dict):
        found = pick(found, "contactUsernameList", "ContactUsernameList", "UserNameList", default=[])
    if not isinstance(found, list):
        return []
    names = [text(pick(c, "userName", "UserName", "user_name", default="")) if isinstance(c, dict) else text(c)
             for c in found]
    return [n for n in names if n]


def contact_details(data: Any) -> list[dict[str, Any]]:
    """GetContactDetailsList / GetChatRoomInfo / GetFriendList: the contact objects, whatever the key."""
    found = data
    if isinstance(data, dict):
        found = pick(data, "contactList", "ContactList", "contacts", "friendList", "FriendList", "chatroomList",
                     "ChatRoomInfo", default=[])
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def kind_of(wxid: str) -> ContactKind:
    if wxid.endswith("@chatroom"):
        return ContactKind.GROUP
    if wxid.startswith("gh_"):
        return ContactKind.MP
    if wxid in SPECIAL_IDS:
        return ContactKind.SPECIAL
    return ContactKind.FRIEND


def members(data: Any) -> list[Member]:
    """Group members: ``member_data.chatroom_member_list`` (GetChatroomMemberDetail, recorded),
    ``newChatroomData`` (contact details), ``NewChatroomData.ChatRoomMember`` or ``MemberList`` (forks)."""
    container = pick(data, "member_data", "newChatroomData", "NewChatroomData", default=data)
    found = pick(container, "chatroom_member_list", "ChatRoomMember", "ChatroomMemberList", "MemberList",
                 "memberList", default=[])
    result = []
    for item in found if isinstance(found, list) else []:
        wxid = text(pick(item, "user_name", "UserName", "userName", "memberName", "MemberName", default=""))
        if wxid:
            result.append(Member(
                id=wxid, nick_name=text(pick(item, "nick_name", "NickName", "nickName", default="")),
                display_name=text(pick(item, "display_name", "DisplayName", "displayName", default=""))))
    return result


def contact(detail: dict[str, Any]) -> Contact | Group | None:
    wxid = text(pick(detail, "userName", "UserName", "user_name", default=""))
    if not wxid:
        return None
    name = text(pick(detail, "nickName", "NickName", "nick_name", default=""))
    kind = kind_of(wxid)
    if kind is ContactKind.GROUP:
        found = members(detail)
        count = integer(pick(pick(detail, "newChatroomData", "NewChatroomData", default={}), "member_count",
                             "MemberCount", default=len(found)), len(found))
        return Group(id=wxid, name=name, owner_id=text(pick(detail, "chatRoomOwner", "ChatRoomOwner", default="")),
                     member_count=count, members=tuple(found), avatar_url=head_image(detail))
    return Contact(id=wxid, nick_name=name, kind=kind,
                   remark_name=text(pick(detail, "remark", "Remark", "remarkName", "RemarkName", default="")),
                   alias=text(pick(detail, "alias", "Alias", default="")), sex=integer(pick(detail, "sex", "Sex")),
                   province=text(pick(detail, "province", "Province", default="")),
                   city=text(pick(detail, "city", "City", default="")),
                   signature=text(pick(detail, "signature", "Signature", default="")), avatar_url=head_image(detail))


def head_image(detail: dict[str, Any]) -> str:
    """The contact's head image URL (small first: an avatar is shown small), as given: the product decides
    whether to fetch it (only from the gateway's own origin)."""
    for name in ("smallHeadImgUrl", "SmallHeadImgUrl", "bigHeadImgUrl", "BigHeadImgUrl", "headImgUrl",
                 "HeadImgUrl"):
        url = text(detail.get(name)).strip()
        if url:
            return url if len(url) <= 2048 else ""
    return ""


def send_result(data: Any) -> str:
    """Send answers: a list of ``{"isSendSuccess", "resp": {...}}`` items (recorded) or one object.
    Returns the new message id; raises ``Rejected`` when an item failed."""
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    msg_id = ""
    for item in items:
        if not isinstance(item, dict):
            continue
        resp = pick(item, "resp", "Resp", default={})
        if pick(item, "isSendSuccess", "IsSendSuccess", default=True) is False:
            base = pick(resp, "baseResponse", "BaseResponse", default={})
            ret = integer(pick(base, "ret", "Ret", default=0))
            reason = text(pick(item, "errMsg", "ErrMsg", default="")) or text(pick(base, "errMsg", "ErrMsg",
                                                                                     default=""))
            if ret == NOT_REACHABLE:
                raise Rejected(NOT_REACHABLE_TEXT + (f" ({reason[:100]})" if reason else ""), code=NOT_REACHABLE,
                               details={"ret": ret})
            raise Rejected(reason[:300] or "the gateway did not send it", code=ret or None, details={"ret": ret})
        rets = pick(resp, "chatSendRetList", "ChatSendRetList", default=[])
        first = rets[0] if isinstance(rets, list) and rets and isinstance(rets[0], dict) else {}
        msg_id = msg_id or text(pick(item, "newMsgId", "NewMsgId", default="")) or text(
            pick(first, "newMsgId", "NewMsgId", "msgId", "MsgId", default="")) or text(
            pick(resp, "newMsgId", "NewMsgId", default=""))
    return msg_id


def created_group(data: Any) -> str:
    wxid = text(pick(data, "ChatRoomName", "chatRoomName", "chat_room_name", "chatroomId", "ChatroomId",
                     default=""))
    if not wxid:
        raise Rejected("the gateway did not report the new group's id")
    return wxid


def synced_messages(data: Any) -> list[dict[str, Any]]:
    """HttpSyncMsg: ``Data.AddMsgs`` (what the sandbox answers), a bare list, or ``AddMsgList``."""
    found = data
    if isinstance(data, dict):
        found = pick(data, "AddMsgs", "AddMsgList", "addMsgs", "messages", default=[])
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def keyed_sync(data: Any) -> tuple[list[dict[str, Any]], str, bool]:
    """``/other/GetRedisSyncMsg``: (messages, the next sync key, more to read). The key is ``Key`` (a Go
    gateway's ``KeyBuf``, base64 in JSON), also read as ``key``/``SyncKey``; ``ContinueFlag`` 1 when more."""
    key = text(pick(data, "Key", "key", "SyncKey", "KeyBuf", default="")) if isinstance(data, dict) else ""
    more = integer(pick(data, "ContinueFlag", "continueFlag", default=0)) if isinstance(data, dict) else 0
    return synced_messages(data), key, more > 0
