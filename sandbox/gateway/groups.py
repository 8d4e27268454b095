"""Gateway face: create and rename groups, add/invite/remove members, announcements."""

from __future__ import annotations

from flask import Response

from sandbox import groupops
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.web import (
    body,
    bp,
    gateway,
    group_of,
    limited,
    live,
    ok,
    people,
    refused,
    sandbox,
    text_list,
)
from sandbox.world import SELF_ID


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
        return refused(reason, ret or groupops.RET_FAILED)  # the web face's Ret 0 + <e> is not this API's shape
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
