"""The gateway face's HTTP endpoints (WeChatPadPro 8059-era paths, ``?key=`` auth).

Every answer is HTTP 200 with ``{"Code", "Data", "Text"}``: Code 200 success, 300 "not logged in"
(``你已退出微信``) or a refused operation, -2 an unknown key, as the recorded clients expect. Which client
each shape comes from is listed in docs/SANDBOX.md ("Gateway face").
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from sandbox import groupops
from sandbox.core import Sandbox
from sandbox.events import Message, next_msg_id
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.state import GatewaySession, GatewayState, KeyState
from sandbox.media import Media, guess_mime, qr_png
from sandbox.protocol_util import RATE_LIMITED_MSG, RET_RATE_LIMITED
from sandbox.session import CONFIRMED, EXPIRED, RET_KICKED, RET_LOGGED_OUT, SCANNED, WAITING
from sandbox.world import SELF_ID, Group, Person

bp = Blueprint("gateway", __name__)
LOGGED_OUT_TEXT = "你已退出微信"
LOGIN_STATES = {WAITING: 0, SCANNED: 1, CONFIRMED: 2, EXPIRED: -2}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
SYNC_BATCH = 500


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def gateway() -> GatewayState:
    return current_app.extensions["sandbox_gateway"]


def envelope(code: int, data: Any = None, text: str = "") -> Response:
    return Response(json.dumps({"Code": code, "Data": data, "Text": text}, ensure_ascii=False),
                    mimetype="application/json")


def ok(data: Any = None) -> Response:
    return envelope(200, data)


def body() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def text_list(value: Any) -> list[str]:
    """A list of ids from a JSON list or a comma-separated string (clients send both)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


@bp.before_request
def check_key() -> Response | None:
    key = request.args.get("key", "")
    state = gateway()
    if request.endpoint == "gateway.qrcode":
        return None  # the QR image URL handed out by GetLoginQrCodeNew carries no key, as on the real gateway
    if request.path.startswith("/admin/"):
        return None if key and key == state.admin_key else envelope(-2, None, "该 key 无效")
    if key not in state.keys:
        return envelope(-2, None, "该 key 无效")
    g.key_state = state.keys[key]
    return None


def key_state() -> KeyState:
    return g.key_state


def live() -> tuple[GatewaySession | None, Response | None]:
    session = key_state().session
    if session is None or not session.alive or session.world is not sandbox().world:
        return None, envelope(300, None, LOGGED_OUT_TEXT)
    return session, None


def limited() -> Response | None:
    if sandbox().limiter.allow():
        return None
    return envelope(300, {"baseResponse": {"ret": RET_RATE_LIMITED, "errMsg": render.s(RATE_LIMITED_MSG)}},
                    RATE_LIMITED_MSG)


def refused(reason: str, ret: int = -1) -> Response:
    return envelope(300, {"baseResponse": {"ret": ret, "errMsg": render.s(reason)}}, reason)


def entity(session: GatewaySession, wxid: str) -> str | None:
    return session.id_of(str(wxid or "").strip())


def people(session: GatewaySession, wxids: list[str]) -> list[Person] | None:
    world = sandbox().world
    found = [world.people.get(entity(session, w) or "") for w in wxids]
    return None if not found or any(p is None for p in found) else found


def group_of(session: GatewaySession, wxid: Any) -> Group | None:
    return sandbox().world.groups.get(entity(session, str(wxid or "")) or "")


# -- admin and login ---------------------------------------------------------------------------------------
@bp.post("/admin/GenAuthKey1")
def gen_auth_key1() -> Response:
    count = body().get("Count", 1)
    if not isinstance(count, int) or not 1 <= count <= 100:
        return envelope(-1, None, "Count must be 1..100")
    return ok(gateway().mint(count))  # a bare list: AstrBot and LangBot both read it


@bp.get("/admin/GenAuthKey2")
def gen_auth_key2() -> Response:
    return ok(gateway().mint(1))


@bp.post("/login/GetLoginQrCodeNew")
@bp.post("/login/GetLoginQrCodeNewX")
def get_login_qr() -> Response:
    attempt = sandbox().logins.new_attempt()
    key_state().attempt_uuid = attempt.uuid
    payload = "http://weixin.qq.com/x/" + attempt.uuid
    return ok({"Key": request.args.get("key", ""), "Txt": "建议返回data=之后内容自定义生成二维码",
               "QrCodeUrl": f"{request.host_url}login/qrcode.png?data={payload}",
               "baseResp": {"ret": 0, "errMsg": {}}})


@bp.get("/login/qrcode.png")
def qrcode() -> Response:
    return Response(qr_png(request.args.get("data", "")[:200]), mimetype="image/png")


def _start_session() -> GatewaySession:
    sb, state = sandbox(), gateway()
    # One pad device per account: a new gateway login pushes any other gateway login out (web logins stay).
    for other in state.keys.values():
        if other.session is not None and other.session.alive:
            other.session.ended = RET_KICKED
    session = GatewaySession(sb.world, state.index, sb.log.position)
    sb.logins.sessions[session.sid] = session
    key_state().session = session
    sb.log.notify()
    return session


@bp.get("/login/CheckLoginStatus")
def check_login_status() -> Response:
    sb = sandbox()
    attempt = sb.logins.attempt(key_state().attempt_uuid) if key_state().attempt_uuid else None
    if attempt is None:
        return envelope(300, None, "不存在状态")
    data: dict[str, Any] = {"uuid": attempt.uuid, "state": LOGIN_STATES[attempt.state],
                            "expiredTime": max(0, int(sb.logins.qr_ttl - (time.time() - attempt.created)))}
    if attempt.state == CONFIRMED:
        session = key_state().session
        if not attempt.used or session is None:
            attempt.used = True
            session = _start_session()
        data.update(wxid=wxid_of(sb.world, SELF_ID), nick_name=sb.world.account.nick_name,
                    wxnewpass=session.pass_ticket, head_img_url="")
    return ok(data)


@bp.get("/login/GetLoginStatus")
def get_login_status() -> Response:
    session, error = live()
    if error:
        return error
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(session.created))
    return ok({"loginState": 1, "loginErrMsg": "账号在线状态良好！", "loginTime": started,
               "loginJournal": {"count": 0, "logs": []}, "onlineDays": 0, "proxyUrl": "", "targetIp": "",
               "expiryTime": ""})


@bp.route("/login/LogOut", methods=["GET", "POST"])
def log_out() -> Response:
    session, error = live()
    if error:
        return error
    session.ended = RET_LOGGED_OUT
    sandbox().record("logout", variant=session.variant)
    sandbox().log.notify()  # wake the WebSocket loop: it closes the socket now
    return ok(None)


# -- user and contacts -------------------------------------------------------------------------------------
@bp.get("/user/GetProfile")
def get_profile() -> Response:
    _, error = live()
    return error or ok(render.profile(sandbox().world))


@bp.post("/user/ModifyRemark")
def modify_remark() -> Response:
    session, error = live()
    if error:
        return error
    data = body()
    sb = sandbox()
    person = sb.world.people.get(entity(session, data.get("UserName")) or "")
    if person is None or not person.is_friend:
        return refused("not a friend")
    person.remark_name = str(data.get("RemarkName", ""))
    sb.record("remark", person.id, session, remark_name=person.remark_name)
    sb.changed(person.id)
    return ok(None)


@bp.post("/friend/GetContactList")
def get_contact_list() -> Response:
    _, error = live()
    if error:
        return error
    world = sandbox().world
    ids = [p.id for p in world.friends()] + [gid for gid, grp in world.groups.items() if grp.has(SELF_ID)]
    ids += list(world.mps)
    names = [wxid_of(world, i) for i in ids]
    return ok({"ContactList": {"contactUsernameList": names, "currentWxcontactSeq": len(names),
                               "currentChatRoomContactSeq": 0}, "CountinueFlag": 0})


@bp.get("/friend/GetFriendList")
def get_friend_list() -> Response:
    _, error = live()
    if error:
        return error
    world = sandbox().world
    friends = [render.person_detail(world, p) for p in world.friends()]
    return ok({"count": len(friends), "friendList": friends})


@bp.get("/group/GroupList")
def group_list() -> Response:
    _, error = live()
    if error:
        return error
    world = sandbox().world
    groups = [render.group_detail(world, grp) for grp in world.groups.values() if grp.has(SELF_ID)]
    return ok({"count": len(groups), "chatroomList": groups})


@bp.post("/friend/GetContactDetailsList")
@bp.post("/group/GetChatRoomInfo")
def get_contact_details() -> Response:
    session, error = live()
    if error:
        return error
    data = body()
    wxids = text_list(data.get("UserNames")) + text_list(data.get("ChatRoomWxIdList"))
    wxids += [w for w in text_list(data.get("RoomWxIDList")) if w.endswith("@chatroom")]
    world = sandbox().world
    found = [render.detail(world, e) for e in (entity(session, w) for w in dict.fromkeys(wxids)) if e]
    contacts = [c for c in found if c is not None]
    return ok({"contactCount": len(contacts), "contactList": contacts, "ret": "AA=="})


@bp.post("/group/GetChatroomMemberDetail")
def get_chatroom_member_detail() -> Response:
    session, error = live()
    if error:
        return error
    data = body()
    group = group_of(session, data.get("ChatRoomName"))
    if group is None or not group.has(SELF_ID):
        return refused("unknown ChatRoomName")
    world = sandbox().world
    return ok({"base_response": {"ret": 0, "errMsg": {}}, "chatroom_wxid": wxid_of(world, group.id),
               "client_version": 10007, "member_data": render.member_data(world, group)})


@bp.post("/friend/VerifyUser")
@bp.post("/friend/AgreeAdd")
def verify_user() -> Response:
    """OpCode 3 accepts a request (V3 = its encryptusername or wxid, V4 = its ticket); 2 asks to be friends."""
    session, error = live()
    if error:
        return error
    sb, data = sandbox(), body()
    limit = limited()
    if limit:
        return limit
    opcode, v3, v4 = data.get("OpCode"), str(data.get("V3", "")), str(data.get("V4", ""))
    text = str(data.get("VerifyContent", ""))
    person_id = entity(session, v3) or next(
        (pid for pid in sb.world.friend_requests if render.encrypt_user(sb.world, pid) == v3), None)
    if person_id is None or person_id not in sb.world.people:
        return refused("unknown V3")
    if opcode == 3:
        pending = sb.world.friend_requests.get(person_id)
        if pending is None or (v4 and v4 != pending.ticket):
            return refused("no pending friend request with this V3/V4")
        del sb.world.friend_requests[person_id]
        person = sb.world.people[person_id]
        person.is_friend = True
        sb.record("verify_user", person_id, session, verify_content=text)
        sb.changed(person_id)
        sb.push(10000, person_id, SELF_ID, text=f"你已添加了{person.nick_name}，现在可以开始聊天了。")
    elif opcode == 2:
        sb.record("add_friend", person_id, session, verify_content=text)
    else:
        return refused("unsupported OpCode")
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}, "userName": render.s(wxid_of(sb.world, person_id))})


# -- groups --------------------------------------------------------------------------------------------------
@bp.post("/group/CreateChatRoom")
def create_chat_room() -> Response:
    session, error = live()
    if error:
        return error
    sb, data = sandbox(), body()
    members = people(session, text_list(data.get("UserList")))
    if members is None:
        return refused("unknown member in UserList")
    limit = limited()
    if limit:
        return limit
    topic = str(data.get("TopIc", data.get("Topic", "")))
    ret, reason, group = groupops.create_group(sb, members, topic)
    if group is None:
        return refused(reason, ret)
    sb.record("create_group", group.id, session, topic=topic, members=[p.nick_name for p in members])
    wxid = wxid_of(sb.world, group.id)
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}, "ChatRoomName": wxid, "chatRoomName": render.s(wxid),
               "topic": render.s(topic), "memberCount": len(group.member_ids),
               "memberList": [{"memberName": render.s(wxid_of(sb.world, m)), "memberStatus": 0}
                              for m in group.member_ids]})


@bp.post("/group/SetChatroomName")
def set_chatroom_name() -> Response:
    session, error = live()
    if error:
        return error
    sb, data = sandbox(), body()
    group = group_of(session, data.get("ChatRoomName"))
    if group is None:
        return refused("unknown ChatRoomName")
    limit = limited()
    if limit:
        return limit
    name = str(data.get("Nickname", data.get("NickName", "")))
    ret, reason = groupops.rename_group(sb, group, name)
    if ret:
        return refused(reason, ret)
    sb.record("mod_topic", group.id, session, topic=name)
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}})


def _member_operation(operation, kind: str) -> Response:
    session, error = live()
    if error:
        return error
    sb, data = sandbox(), body()
    group = group_of(session, data.get("ChatRoomName"))
    if group is None:
        return refused("unknown ChatRoomName")
    members = people(session, text_list(data.get("UserList")))
    if members is None:
        return refused("unknown or empty UserList")
    limit = limited()
    if limit:
        return limit
    ret, reason = operation(sb, group, members)
    if ret:
        return refused(reason, ret)
    sb.record(kind, group.id, session, members=[p.nick_name for p in members])
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}, "memberCount": len(group.member_ids)})


@bp.post("/group/AddChatRoomMembers")
def add_chat_room_members() -> Response:
    return _member_operation(groupops.add_members, "add_member")


@bp.post("/group/InviteChatroomMembers")
def invite_chatroom_members() -> Response:
    return _member_operation(groupops.invite_members, "invite_member")


@bp.post("/group/SendDelDelChatRoomMember")
def del_chat_room_members() -> Response:
    return _member_operation(groupops.remove_members, "del_member")


@bp.post("/group/SetChatroomAnnouncement")
def set_chatroom_announcement() -> Response:
    session, error = live()
    if error:
        return error
    sb, data = sandbox(), body()
    group = group_of(session, data.get("ChatRoomName"))
    if group is None or not group.has(SELF_ID):
        return refused("unknown ChatRoomName")
    if group.owner_id != SELF_ID:
        return refused("only the group owner can set the announcement")
    limit = limited()
    if limit:
        return limit
    content = str(data.get("Content", ""))
    gateway().announcements[group.id] = content
    sb.record("announcement", group.id, session, content=content)
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}})


@bp.post("/group/SetGetChatRoomInfoDetail")
def get_chatroom_announcement() -> Response:
    session, error = live()
    if error:
        return error
    group = group_of(session, body().get("ChatRoomName"))
    if group is None:
        return refused("unknown ChatRoomName")
    return ok({"baseRequest": {}, "announcement": gateway().announcements.get(group.id, ""),
               "chatRoomName": group.nick_name})


# -- messages ------------------------------------------------------------------------------------------------
def _target(session: GatewaySession, wxid: Any) -> tuple[str | None, str]:
    """(stable id, '') for a recipient the bot can write to, else (None, reason)."""
    to_id = entity(session, str(wxid or ""))
    if to_id is None:
        return None, "unknown ToUserName"
    group = sandbox().world.groups.get(to_id)
    if group is not None and not group.has(SELF_ID):
        return None, "the bot is not in this group"
    return to_id, ""


def _failed_item(wxid: Any, reason: str) -> dict[str, Any]:
    return {"isSendSuccess": False, "toUSerName": str(wxid or ""), "errMsg": reason,
            "resp": {"baseResponse": {"ret": -1, "errMsg": render.s(reason)}}}


@bp.post("/message/SendTextMessage")
def send_text_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("MsgItem")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "MsgItem is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        if to_id is None:
            results.append(_failed_item(item.get("ToUserName"), reason))
            continue
        limit = limited()
        if limit:
            return limit
        text = str(item.get("TextContent", ""))
        group = sb.world.groups.get(to_id)
        mentioned = [entity(session, w) for w in text_list(item.get("AtWxIDList"))]
        mentions = [sb.world.people[m].nick_name for m in mentioned
                    if m and group is not None and group.has(m)]
        sb.record("text", to_id, session, content=text, msg_type=1, mentions=mentions)
        results.append(render.send_ack(sb.world, to_id, text, next_msg_id()))
    return ok(results)


@bp.post("/message/SendImageNewMessage")
@bp.post("/message/SendImageMessage")
def send_image_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("MsgItem")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "MsgItem is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        try:
            data = base64.b64decode(str(item.get("ImageContent", "")), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if to_id is None or not data or len(data) > MAX_IMAGE_BYTES:
            results.append(_failed_item(item.get("ToUserName"), reason or "ImageContent is not an image"))
            continue
        limit = limited()
        if limit:
            return limit
        media = Media(data, "image.png", guess_mime("image.png"))
        media_id = sb.media.put(media)
        sb.record("image", to_id, session, media_id=media_id, file_name=media.name, size=len(data), md5=media.md5)
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "msgId": msg_id % 2_000_000_000,
                        "newMsgId": msg_id, "resp": {"baseResponse": {"ret": 0, "errMsg": {}},
                                                     "totalLen": len(data), "newMsgId": msg_id}})
    return ok(results)


@bp.post("/message/SendEmojiMessage")
def send_emoji_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("EmojiList")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "EmojiList is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        md5 = str(item.get("EmojiMd5", ""))
        if to_id is None or len(md5) != 32:
            results.append(_failed_item(item.get("ToUserName"), reason or "EmojiMd5 must be 32 hex digits"))
            continue
        limit = limited()
        if limit:
            return limit
        size = item.get("EmojiSize")
        sb.record("emoticon", to_id, session, md5=md5, size=size if isinstance(size, int) else 0)
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id,
                        "emojiItem": [{"ret": 0, "md5": md5, "newMsgId": msg_id}]})
    return ok(results)


@bp.post("/message/SendAppMessage")
def send_app_message() -> Response:
    session, error = live()
    if error:
        return error
    sb = sandbox()
    items = body().get("AppList")
    if not isinstance(items, list) or not items:
        return envelope(-1, None, "AppList is required")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        to_id, reason = _target(session, item.get("ToUserName"))
        if to_id is None:
            results.append(_failed_item(item.get("ToUserName"), reason))
            continue
        limit = limited()
        if limit:
            return limit
        sb.record("app", to_id, session, content=str(item.get("ContentXML", "")))
        msg_id = next_msg_id()
        results.append({"isSendSuccess": True, "toUSerName": wxid_of(sb.world, to_id), "newMsgId": msg_id})
    return ok(results)


def pending_messages(session: GatewaySession, limit: int) -> list[dict[str, Any]]:
    """Messages after the session's position (contact changes are not pushed: clients re-list), advancing it."""
    sb = sandbox()
    entries = sb.log.since(session.position, limit)
    start = session.position
    session.position = min(session.position, sb.log.position) + len(entries)
    return [render.message(sb.world, e, start + n + 1) for n, e in enumerate(entries) if isinstance(e, Message)]


@bp.post("/message/HttpSyncMsg")
def http_sync_msg() -> Response:
    session, error = live()
    if error:
        return error
    count = body().get("Count", 0)
    limit = count if isinstance(count, int) and 0 < count <= SYNC_BATCH else SYNC_BATCH
    return ok({"AddMsgs": pending_messages(session, limit)})
