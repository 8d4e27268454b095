"""Gateway face: profile, contact list and details, group members, friend requests, remarks."""

from __future__ import annotations

from flask import Response

from sandbox.core import Sandbox
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.web import (
    body,
    bp,
    entity,
    ok,
    ok_base,
    refused,
    require_allowed,
    require_group,
    require_live,
    sandbox,
    text_list,
)
from sandbox.world import SELF_ID, Group


def listed(sb: Sandbox, group: Group) -> bool:
    """Like web WeChat's, the iPad protocol's contact list holds only the groups saved to contacts (the rest come
    with their messages: wechaty-puppet-padlocal/padplus fetch such rooms by id; docs/SANDBOX.md)."""
    return group.has(SELF_ID) and (group.saved or sb.settings.all_groups_in_contacts)


@bp.get("/user/GetProfile")
def get_profile() -> Response:
    require_live()
    return ok(render.profile(sandbox().world))


@bp.post("/user/ModifyRemark")
def modify_remark() -> Response:
    session = require_live()
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
    require_live()
    sb = sandbox()
    world = sb.world
    ids = [p.id for p in world.friends()] + [gid for gid, grp in world.groups.items() if listed(sb, grp)]
    ids += list(world.mps)
    names = [wxid_of(world, i) for i in ids]
    return ok({"ContactList": {"contactUsernameList": names, "currentWxcontactSeq": len(names),
                               "currentChatRoomContactSeq": 0}, "CountinueFlag": 0})


@bp.get("/friend/GetFriendList")
def get_friend_list() -> Response:
    require_live()
    world = sandbox().world
    friends = [render.person_detail(world, p) for p in world.friends()]
    return ok({"count": len(friends), "friendList": friends})


@bp.get("/group/GroupList")
def group_list() -> Response:
    require_live()
    sb = sandbox()
    groups = [render.group_detail(sb.world, grp) for grp in sb.world.groups.values() if listed(sb, grp)]
    return ok({"count": len(groups), "chatroomList": groups})


@bp.post("/friend/GetContactDetailsList")
@bp.post("/group/GetChatRoomInfo")
def get_contact_details() -> Response:
    session = require_live()
    data = body()
    wxids = text_list(data.get("UserNames")) + text_list(data.get("ChatRoomWxIdList"))
    wxids += [w for w in text_list(data.get("RoomWxIDList")) if w.endswith("@chatroom")]
    world = sandbox().world
    found = [render.detail(world, e) for e in (entity(session, w) for w in dict.fromkeys(wxids)) if e]
    contacts = [c for c in found if c is not None]
    return ok({"contactCount": len(contacts), "contactList": contacts, "ret": "AA=="})


@bp.post("/group/GetChatroomMemberDetail")
def get_chatroom_member_detail() -> Response:
    session = require_live()
    data = body()
    group = require_group(session, data.get("ChatRoomName"), joined=True)
    world = sandbox().world
    return ok({"base_response": {"ret": 0, "errMsg": {}}, "chatroom_wxid": wxid_of(world, group.id),
               "client_version": 10007, "member_data": render.member_data(world, group)})


@bp.post("/friend/VerifyUser")
@bp.post("/friend/AgreeAdd")
def verify_user() -> Response:
    """OpCode 3 accepts a request (V3 = its encryptusername or wxid, V4 = its ticket); 2 asks to be friends."""
    session = require_live()
    sb, data = sandbox(), body()
    require_allowed()
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
    return ok_base(userName=render.s(wxid_of(sb.world, person_id)))
