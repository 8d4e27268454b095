"""Web-WeChat after login: init, contacts, synccheck/webwxsync, text sends, group and friend operations."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from sandbox import groupops, wire
from sandbox.events import Message, next_msg_id, position_from_sync_key, sync_key
from sandbox.inject import RED_PACKET
from sandbox.media import avatar_png
from sandbox.protocol_util import (
    RATE_LIMITED_MSG,
    answer,
    body,
    expire_if_old,
    find_session,
    group_of,
    live_session,
    people,
    rate_limited,
    resolve,
    sandbox,
    unreachable,
)
from sandbox.session import RET_LOGGED_OUT, RET_REFUSED
from sandbox.world import FMESSAGE, SELF_ID

bp = Blueprint("wx", __name__, url_prefix="/cgi-bin/mmwebwx-bin")
CONTACT_PAGE = 1000
BATCH_CAP = 50  # webwxbatchgetcontact answers at most this many per call
PROFILE = {"BitFlag": 0, "UserName": {"Buff": ""}, "NickName": {"Buff": ""}, "BindUin": 0,
           "BindEmail": {"Buff": ""}, "BindMobile": {"Buff": ""}, "Status": 0, "Sex": 0, "PersonalCard": 0,
           "Alias": "", "HeadImgUpdateFlag": 0, "HeadImgUrl": "", "Signature": ""}


@bp.post("/webwxinit")
def webwxinit() -> Response:
    session, error = live_session(body())
    if error:
        return error
    sb = sandbox()
    world = sb.world
    session.initialized = True
    recent = [wire.filehelper_contact()]
    recent += [wire.group_contact(world, session, g, False) for g in list(world.groups.values())[:3]]
    recent += [wire.person_contact(world, session, p) for p in world.friends()[:5]]
    return answer(Count=len(recent), ContactList=recent, SyncKey=sync_key(session.position),
                  User=wire.self_user(world, session), ChatSet=",".join(c["UserName"] for c in recent),
                  SKey=session.skey, ClientVersion=654314297, SystemTime=int(time.time()), GrayScale=1,
                  InviteStartCount=40, MPSubscribeMsgCount=0, MPSubscribeMsgList=[], ClickReportInterval=600000)


@bp.post("/webwxstatusnotify")
def webwxstatusnotify() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    if data.get("Code") == 3:  # the client's "initialised": the phone answers with the type-51 notify
        session.status_notify_due = True
    return answer(MsgID=str(next_msg_id()))


@bp.get("/webwxgetcontact")
def webwxgetcontact() -> Response:
    session, error = live_session()
    if error:
        return error
    sb = sandbox()
    world = sb.world
    # Only groups saved to contacts: the others come through webwxinit, a status notify or a message.
    groups = [g.id for g in world.groups.values() if g.saved or sb.settings.all_groups_in_contacts]
    ids = [p.id for p in world.friends()] + groups + list(world.mps)
    start = int(request.args.get("seq", 0) or 0)
    page = ids[start: start + CONTACT_PAGE]
    members = [wire.contact(world, session, i, with_members=False) for i in page]
    if start == 0:
        members.insert(0, wire.filehelper_contact())
    seq = start + CONTACT_PAGE if start + CONTACT_PAGE < len(ids) else 0
    return answer(MemberCount=len(members), MemberList=members, Seq=seq)


@bp.post("/webwxbatchgetcontact")
def webwxbatchgetcontact() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    world = sandbox().world
    found = []
    for item in (data.get("List") or [])[:BATCH_CAP]:  # the rest is dropped, as wechat4u's batching assumes
        entity_id = session.id_of(str(item.get("UserName", "")))
        rendered = wire.contact(world, session, entity_id) if entity_id else None
        if rendered is not None:
            found.append(rendered)
    return answer(Count=len(found), ContactList=found)


def _sync_answer(selector: str) -> Response:
    return Response(f'window.synccheck={{retcode:"0",selector:"{selector}"}}', mimetype="text/javascript")


def _selector(entries: list) -> str:
    """2: new messages; 6: among them a red packet (WeixinBot issue 22: selector 6 came with red-packet data);
    4: only contact changes (WeixinBot's notes, ItChat issue 451)."""
    messages = [entry for entry in entries if isinstance(entry, Message)]
    if any(m.msg_type == 49 and m.app_msg_type == RED_PACKET for m in messages):
        return "6"
    return "2" if messages else "4"


@bp.get("/synccheck")
def synccheck() -> Response:
    """Long poll: selector 2 (4, 6) as soon as the log has something after the key, 3 at once after the session's
    own send, 7 at once when the phone is in a chat (Settings.selector_7), else 0 after the timeout."""
    sb = sandbox()
    session = sb.logins.find(sid=request.args.get("sid", ""), skey=request.args.get("skey", ""))
    log = sb.log
    position = position_from_sync_key(request.args.get("synckey", ""))
    position = session.position if position is None and session else (position or 0)
    deadline = time.monotonic() + sb.settings.sync_timeout
    if session is not None and session.alive and session.refused_1102:
        session.ended = RET_REFUSED
    while True:
        expire_if_old(session)
        if session is None or not session.alive:
            retcode = session.ended if session else RET_LOGGED_OUT
            return Response(f'window.synccheck={{retcode:"{retcode}",selector:"0"}}', mimetype="text/javascript")
        if log.position > position:
            return _sync_answer(_selector(log.since(position, sb.settings.sync_batch)))
        if session.selector_3_due:
            session.selector_3_due = False  # the session's own send, synced back: nothing to fetch, no long poll
            return _sync_answer("3")
        if sb.settings.selector_7 == "always" or session.selector_7_due:
            session.selector_7_due = False  # the phone opened a chat: nothing to fetch, and no long poll
            return _sync_answer("7")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _sync_answer("0")
        log.wait(remaining)
        if log is not sb.log:  # the world was reset under us
            session = None


@bp.post("/webwxsync")
def webwxsync() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    if "sid" in request.args and request.args["sid"] != session.sid:
        # the query's sid must match (a '+' pasted unencoded arrives as a space): the threads on 1101 after login
        return answer(1101, reason="sid in the URL does not match the session")
    sb = sandbox()
    position = position_from_sync_key(data.get("SyncKey"))
    if position is None:
        return answer(1, reason="bad SyncKey")
    entries = sb.log.since(position, sb.settings.sync_batch)
    new_position = min(position, sb.log.position) + len(entries)
    session.position = new_position
    lists = wire.sync_lists(sb.world, session, entries)
    if session.status_notify_due:
        session.status_notify_due = False
        lists["AddMsgList"].insert(0, wire.status_notify(sb.world, session))
    if lists["AddMsgList"] and sb.settings.selector_7 == "after_messages":
        session.selector_7_due = True
    key = sync_key(new_position)
    return answer(AddMsgCount=len(lists["AddMsgList"]), AddMsgList=lists["AddMsgList"],
                  ModContactCount=len(lists["ModContactList"]), ModContactList=lists["ModContactList"],
                  DelContactCount=len(lists["DelContactList"]), DelContactList=lists["DelContactList"],
                  ModChatRoomMemberCount=0, ModChatRoomMemberList=[], Profile=PROFILE,
                  ContinueFlag=int(new_position < sb.log.position), SyncKey=key, SyncCheckKey=key,
                  SKey=session.skey)


@bp.post("/webwxsendmsg")
def webwxsendmsg() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    msg = data.get("Msg") or {}
    to_id = resolve(session, str(msg.get("ToUserName", "")))
    if to_id is None:
        return answer(1204, reason="unknown ToUserName")
    refused = unreachable(to_id)
    if refused:
        return refused
    group = sandbox().world.groups.get(to_id)
    if group is not None and not group.has(SELF_ID):
        return answer(1, reason="the bot is not in this group")
    earlier = sandbox().delivered_before(msg)
    if earlier:
        return answer(MsgID=earlier, LocalID=str(msg.get("LocalID", "")))
    limited = rate_limited()
    if limited:
        return limited
    msg_type = int(msg.get("Type", 1))
    kind = "text" if msg_type == 1 else "raw"
    sandbox().record(kind, to_id, session, content=str(msg.get("Content", "")), msg_type=msg_type)
    msg_id = str(next_msg_id())
    sandbox().remember_delivery(msg, msg_id)
    return answer(MsgID=msg_id, LocalID=str(msg.get("LocalID", "")))


@bp.post("/webwxoplog")
def webwxoplog() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    sb = sandbox()
    target = resolve(session, str(data.get("UserName", "")))
    cmd = int(data.get("CmdId", 0))
    if cmd == 2 and target in sb.world.people and sb.world.people[target].is_friend:
        sb.world.people[target].remark_name = str(data.get("RemarkName", ""))
        sb.record("remark", target, session, remark_name=sb.world.people[target].remark_name)
        sb.changed(target)
        return answer()
    if cmd == 3 and target:
        sb.record("pin", target, session, pinned=bool(data.get("OP")))
        return answer()
    return answer(1, reason="unsupported CmdId or target")


@bp.post("/webwxverifyuser")
def webwxverifyuser() -> Response:
    """Opcode 3 accepts a friend request, 2 sends one, 1 follows an MP."""
    data = body()
    session, error = live_session(data)
    if error:
        return error
    sb = sandbox()
    limited = rate_limited()
    if limited:
        return limited
    opcode = int(data.get("Opcode", 0))
    text = str(data.get("VerifyContent", ""))
    for item in data.get("VerifyUserList") or []:
        target = resolve(session, str(item.get("Value", "")))
        if target is None:
            return answer(1, reason="unknown user")
        if opcode == 3:
            request_ = sb.world.friend_requests.get(target)
            ticket = str(item.get("VerifyUserTicket", ""))
            if request_ is None or (ticket and ticket != request_.ticket):
                return answer(1, reason="no pending friend request from this user")
            del sb.world.friend_requests[target]
            person = sb.world.people[target]
            person.is_friend = True
            sb.record("verify_user", target, session, verify_content=text)
            sb.changed(target)
            sb.push(10000, target, SELF_ID, text=f"你已添加了{person.nick_name}，现在可以开始聊天了。")
        elif opcode == 2:
            sb.record("add_friend", target, session, verify_content=text)
        elif opcode == 1:
            sb.record("add_mp", target, session)
        else:
            return answer(1, reason="unsupported Opcode")
    return answer()


@bp.post("/webwxcreatechatroom")
def webwxcreatechatroom() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    sb = sandbox()
    members = people(session, [str(m.get("UserName", "")) for m in data.get("MemberList") or []])
    if members is None:
        return answer(1, reason="unknown member")
    limited = rate_limited()
    if limited:
        return limited
    topic = str(data.get("Topic", ""))
    empty = {"Topic": "", "PYInitial": "", "QuanPin": "", "MemberCount": 0, "MemberList": [], "ChatRoomName": "",
             "BlackList": ""}
    if not sb.group_creation_allowed():
        return answer(1, RATE_LIMITED_MSG, reason="group creation limit (settings.groups_per_hour)", **empty)
    ret, reason, group = groupops.create_group(sb, members, topic)
    if group is None:
        # Recorded failures are Ret 0 ("success") with the reason in an <e> XML and no ChatRoomName.
        return answer(ret, groupops.error_xml(reason), reason=reason, **empty)
    sb.group_created()
    sb.record("create_group", group.id, session, topic=topic, members=[p.nick_name for p in members])
    member_list = [wire.group_member(sb.world, session, group, m) for m in group.member_ids]
    return answer(Topic=topic, PYInitial="", QuanPin="", MemberCount=len(member_list), MemberList=member_list,
                  ChatRoomName=session.name_of(group.id), BlackList="")


@bp.post("/webwxupdatechatroom")
def webwxupdatechatroom() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    sb = sandbox()
    group = group_of(session, str(data.get("ChatRoomName", "")))
    if group is None:
        return answer(1, reason="unknown ChatRoomName")
    fun = request.args.get("fun", "")
    if fun == "modtopic":
        topic = str(data.get("NewTopic", ""))
        ret, reason = groupops.rename_group(sb, group, topic)
        if ret == 0:
            sb.record("mod_topic", group.id, session, topic=topic)
        return answer(ret, reason=reason)
    field, operation, kind = {
        "addmember": ("AddMemberList", groupops.add_members, "add_member"),
        "invitemember": ("InviteMemberList", groupops.invite_members, "invite_member"),
        "delmember": ("DelMemberList", groupops.remove_members, "del_member"),
    }.get(fun, ("", None, ""))
    if operation is None:
        return answer(1, reason=f"unsupported fun {fun!r}")
    members = people(session, [n for n in str(data.get(field, "")).split(",") if n])
    if not members:
        return answer(1, reason="unknown or empty member list")
    limited = rate_limited()
    if limited:
        return limited
    if fun == "delmember" and sb.settings.member_removal == "refused" and group.owner_id == SELF_ID:
        # Web WeChat refuses this even for the owner (ItChat issues 877, 923): Ret 1, empty ErrMsg, nothing listed.
        return answer(1, reason="web delmember refused (settings.member_removal)", MemberCount=0, MemberList=[])
    ret, reason = operation(sb, group, members)
    if ret != 0:
        return answer(ret, reason=reason, MemberCount=0, MemberList=[])
    sb.record(kind, group.id, session, members=[p.nick_name for p in members])
    listed = [{"UserName": session.name_of(p.id), "MemberStatus": 0} for p in members]
    return answer(ret, reason=reason, MemberCount=len(group.member_ids), MemberList=listed)


@bp.route("/webwxlogout", methods=["GET", "POST"])
def webwxlogout() -> Response:
    sb = sandbox()
    session = find_session()
    if session is not None and session.alive:
        session.ended = RET_LOGGED_OUT
        sb.record("logout", variant=session.variant)
        sb.log.notify()  # the client's own synccheck is still waiting: let it see the logout now
    return Response("", mimetype="text/html")


@bp.get("/webwxgeticon")
@bp.get("/webwxgetheadimg")
def webwxgeticon() -> Response:
    session = find_session()
    name = request.args.get("username") or request.args.get("userName") or ""
    entity_id = session.id_of(name) if session else None
    if entity_id is None or entity_id == FMESSAGE:
        return Response(b"", status=404)
    return Response(avatar_png(entity_id), mimetype="image/png")
