"""Gateway face: create and rename groups, add/invite/remove members, announcements."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response

from sandbox import groupops
from sandbox.core import Sandbox
from sandbox.gateway import render
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.web import (
    body,
    bp,
    gateway,
    ok,
    ok_base,
    people,
    refused,
    require_allowed,
    require_group,
    require_live,
    sandbox,
    text_list,
)
from sandbox.protocol_util import RATE_LIMITED_MSG
from sandbox.world import SELF_ID, Group, Person


@bp.post("/group/CreateChatRoom")
def create_chat_room() -> Response:
    session = require_live()
    sb, data = sandbox(), body()
    members = people(session, text_list(data.get("UserList")))
    if members is None:
        return refused("unknown member in UserList")
    require_allowed()
    topic = str(data.get("TopIc", data.get("Topic", "")))
    if not sb.group_creation_allowed():
        # The account-wide limit on new groups (ItChat issue 560) is WeChat's, not the web client's: the gateway
        # meets it too. Its answer here mirrors the web Ret 1 + "操作太频繁" in this API's envelope (a guess).
        return refused(RATE_LIMITED_MSG, groupops.RET_FAILED)
    ret, reason, group = groupops.create_group(sb, members, topic)
    if group is None:
        return refused(reason, ret or groupops.RET_FAILED)  # the web face's Ret 0 + <e> is not this API's shape
    sb.group_created()
    sb.record("create_group", group.id, session, topic=topic, members=[p.nick_name for p in members])
    wxid = wxid_of(sb.world, group.id)
    return ok_base(ChatRoomName=wxid, chatRoomName=render.s(wxid), topic=render.s(topic),
                   memberCount=len(group.member_ids),
                   memberList=[{"memberName": render.s(wxid_of(sb.world, m)), "memberStatus": 0}
                               for m in group.member_ids])


@bp.post("/group/SetChatroomName")
def set_chatroom_name() -> Response:
    session = require_live()
    sb, data = sandbox(), body()
    group = require_group(session, data.get("ChatRoomName"))
    require_allowed()
    name = str(data.get("Nickname", data.get("NickName", "")))
    ret, reason = groupops.rename_group(sb, group, name)
    if ret:
        return refused(reason, ret)
    sb.record("mod_topic", group.id, session, topic=name)
    return ok_base()


def _member_operation(operation: Callable[[Sandbox, Group, list[Person]], tuple[int, str]], kind: str) -> Response:
    session = require_live()
    sb, data = sandbox(), body()
    group = require_group(session, data.get("ChatRoomName"))
    members = people(session, text_list(data.get("UserList")))
    if members is None:
        return refused("unknown or empty UserList")
    require_allowed()
    ret, reason = operation(sb, group, members)
    if ret:
        return refused(reason, ret)
    sb.record(kind, group.id, session, members=[p.nick_name for p in members])
    return ok_base(memberCount=len(group.member_ids))


@bp.post("/group/AddChatRoomMembers")
def add_chat_room_members() -> Response:
    return _member_operation(groupops.add_members, "add_member")


@bp.post("/group/InviteChatroomMembers")
def invite_chatroom_members() -> Response:
    return _member_operation(groupops.invite_members, "invite_member")


def _remove_members(sb: Sandbox, group: Group, people: list[Person]) -> tuple[int, str]:
    if sb.settings.member_removal == "refused_everywhere" and group.owner_id == SELF_ID:
        return groupops.RET_FAILED, ""  # refused even for the owner, as the web face does by default
    return groupops.remove_members(sb, group, people)


@bp.post("/group/SendDelDelChatRoomMember")
def del_chat_room_members() -> Response:
    return _member_operation(_remove_members, "del_member")


@bp.post("/group/SetChatroomAnnouncement")
def set_chatroom_announcement() -> Response:
    session = require_live()
    sb, data = sandbox(), body()
    group = require_group(session, data.get("ChatRoomName"), joined=True)
    if group.owner_id != SELF_ID:
        return refused("only the group owner can set the announcement")
    require_allowed()
    content = str(data.get("Content", ""))
    gateway().announcements[group.id] = content
    sb.record("announcement", group.id, session, content=content)
    return ok_base()


@bp.post("/group/SetGetChatRoomInfoDetail")
def get_chatroom_announcement() -> Response:
    session = require_live()
    group = require_group(session, body().get("ChatRoomName"))
    return ok({"baseRequest": {}, "announcement": gateway().announcements.get(group.id, ""),
               "chatRoomName": group.nick_name})
