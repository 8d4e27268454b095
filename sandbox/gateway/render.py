"""The world and the log as gateway JSON.

Shapes follow what open-source clients of the 8059-era API read (docs/SANDBOX.md, "Gateway face"):
messages in the snake_case form with ``{"str": …}`` wrappers that AstrBot, LangBot and nekro-agent parse,
contacts and members as recorded in mounten2657/smplote's client docstrings.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from sandbox.events import ContactChange, Message, next_msg_id
from sandbox.gateway.ids import wxid_of
from sandbox.world import FILEHELPER, FMESSAGE, SELF_ID, Group, Mp, Person, World

FRIEND_REQUEST = 37
CARD = 42
RECALL = 10002
MEDIA_TYPES = (3, 34, 43, 49)  # image, voice, video, app (files): their XML carries the download handles


def s(value: str) -> dict[str, str]:
    """The protobuf string wrapper the gateway uses for names and contents."""
    return {"str": value}


def encrypt_user(world: World, person_id: str) -> str:
    """The v3_…@stranger name a friend request carries instead of the requester's wxid."""
    return "v3_" + hashlib.sha256(f"v3:{world.uin}:{person_id}".encode()).hexdigest()[:48] + "@stranger"


def _friend_request_xml(world: World, msg: Message) -> str:
    person = world.people.get(msg.recommend_id)
    nick = person.nick_name if person else ""
    attrs = {"fromusername": wxid_of(world, msg.recommend_id), "encryptusername": encrypt_user(world, msg.recommend_id),
             "fromnickname": nick, "content": msg.text, "scene": "30", "ticket": msg.ticket, "opcode": "2",
             "sex": str(person.sex if person else 0), "alias": "", "sign": "", "bigheadimgurl": "",
             "smallheadimgurl": ""}
    return "<msg " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + " />"


def _card_xml(world: World, msg: Message) -> str:
    person = world.people.get(msg.recommend_id)
    return (f"<msg username={quoteattr(wxid_of(world, msg.recommend_id))} "
            f"nickname={quoteattr(person.nick_name if person else '')} alias=\"\" province=\"\" city=\"\" sex=\"0\" />")


_RECALLED = re.compile(r"<msgid>(\d{1,30})</msgid>")
_REPLACE = re.compile(r"<replacemsg>(.*?)</replacemsg>", re.DOTALL)


def _revoke_xml(world: World, msg: Message) -> str:
    """A recall as the iPad protocol sends it: ``<session>`` the chat's wxid, ``<msgid>`` the recalled message's
    32-bit msg_id and ``<newmsgid>`` its 64-bit new_msg_id (the id clients key messages on), as recorded in a
    GeWe-callback client's revoke handler (docs/SANDBOX.md)."""
    chat = msg.to_id if msg.from_id == SELF_ID else msg.from_id
    found, note = _RECALLED.search(msg.text), _REPLACE.search(msg.text)
    old = int(found.group(1)) if found else 0
    return (f'<sysmsg type="revokemsg"><revokemsg><session>{xml_escape(wxid_of(world, chat))}</session>'
            f"<msgid>{old % 2_000_000_000}</msgid><newmsgid>{old}</newmsgid>"
            f"<replacemsg>{note.group(1) if note else ''}</replacemsg></revokemsg></sysmsg>")


def _body(world: World, msg: Message) -> str:
    if msg.msg_type == FRIEND_REQUEST:
        return _friend_request_xml(world, msg)
    if msg.msg_type == CARD:
        return _card_xml(world, msg)
    if msg.msg_type == RECALL:
        return _revoke_xml(world, msg)
    if msg.msg_type in MEDIA_TYPES:
        from sandbox.gateway import media  # late: media imports web, which imports this module

        return media.media_body(world, msg, media.message_media(msg.msg_id)) or msg.text
    return msg.text


def message(world: World, msg: Message, msg_seq: int) -> dict[str, Any]:
    """One message as ``/ws/GetSyncMsg`` pushes it (and ``/message/HttpSyncMsg`` lists it)."""
    me = wxid_of(world, SELF_ID)
    group = world.groups.get(msg.from_id) or world.groups.get(msg.to_id)
    body = _body(world, msg)
    sender = world.people.get(msg.member_id or msg.from_id)
    sender_nick = sender.nick_name if sender else ""
    content = body
    if group is not None and msg.member_id and msg.msg_type != 10000:
        content = f"{wxid_of(world, msg.member_id)}:\n{body}"  # group messages carry the real sender first
    at_me = group is not None and msg.msg_type == 1 and f"@{world.account.nick_name}" in msg.text
    source = "<msgsource>"
    if at_me:
        source += f"<atuserlist>{xml_escape(me)}</atuserlist>"
    if group is not None:
        source += f"<silence>0</silence><membercount>{len(group.member_ids)}</membercount>"
    source += "</msgsource>"
    if at_me:
        push = f"{sender_nick}在群聊中@了你"
    elif msg.msg_type == 1 and sender is not None:
        push = f"{sender_nick} : {msg.text}"
    else:
        push = ""
    msg_type = msg.msg_type
    if group is not None and "dissolved_by" in msg.extra:
        msg_type, content = 10002, f"{wxid_of(world, group.id)}:\n{_dissolved_xml(world, msg.extra['dissolved_by'])}"
    return {
        "msg_id": msg.msg_id % 2_000_000_000,
        "from_user_name": s(FMESSAGE if msg.msg_type == FRIEND_REQUEST else wxid_of(world, msg.from_id)),
        "to_user_name": s(wxid_of(world, msg.to_id)),
        "msg_type": msg_type,
        "content": s(content),
        "status": 3,
        "img_status": 1,
        "img_buf": {"len": 0},
        "create_time": msg.create_time,
        "msg_source": source,
        "push_content": push,
        "new_msg_id": msg.msg_id,
        "msg_seq": msg_seq,
        # LangBot reads the receiving account from the message itself (its quote handling).
        "Wxid": me,
    }


def _dissolved_xml(world: World, owner_id: str) -> str:
    """The iPad protocol's dissolve note: a 10002 sysmsgtemplate naming the owner (GeWe's recorded callback,
    ``new_tmpl_type_succeed_contact``, template ``群主"$identity$"已解散该群聊``)."""
    owner = world.people[owner_id]
    return ('<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="new_tmpl_type_succeed_contact">'
            '<plain><![CDATA[]]></plain><template><![CDATA[群主"$identity$"已解散该群聊]]></template><link_list>'
            '<link name="identity" type="link_profile"><memberlist><member>'
            f"<username>{xml_escape(wxid_of(world, owner_id))}</username>"
            f"<nickname>{xml_escape(owner.nick_name)}</nickname>"
            "</member></memberlist></link></link_list></content_template></sysmsgtemplate></sysmsg>")


def contact_changes(world: World, entries: list) -> dict[str, list[dict[str, Any]]]:
    """The contact changes among log entries as a sync answer carries them: ``ModContacts`` (the contact's details,
    a group with its member list) and ``DelContacts`` (``UserName``, ``DeleteContactScen``: GeWe's recorded
    callback for a group the bot left)."""
    mods, dels = [], []
    for entry in entries:
        if not isinstance(entry, ContactChange):
            continue
        if entry.deleted:
            dels.append({"UserName": s(wxid_of(world, entry.entity_id)), "DeleteContactScen": 0})
        elif (found := detail(world, entry.entity_id)) is not None:
            mods.append(found)
    return {"ModContacts": mods, "DelContacts": dels}


def _head(world: World, entity_id: str) -> dict[str, str]:
    """Head image URLs (served by sandbox/gateway/media.py on this face's origin)."""
    from sandbox.gateway import media

    url = media.avatar_url(world, entity_id)
    return {"bigHeadImgUrl": url, "smallHeadImgUrl": url}


def person_detail(world: World, person: Person) -> dict[str, Any]:
    wxid = wxid_of(world, person.id)
    return {"userName": s(wxid), "nickName": s(person.nick_name), "pyinitial": s(""), "quanPin": s(""),
            "sex": person.sex, "remark": s(person.remark_name if person.is_friend else ""), "contactType": 0,
            "province": person.province, "city": person.city, "signature": person.signature, "alias": "",
            **_head(world, person.id), "encryptUserName": encrypt_user(world, person.id),
            "chatroomVersion": 0, "deleteFlag": 0 if person.is_friend or person.id == SELF_ID else 1,
            "extFlag": 0}


def mp_detail(world: World, mp: Mp) -> dict[str, Any]:
    return {"userName": s(wxid_of(world, mp.id)), "nickName": s(mp.nick_name), "pyinitial": s(""),
            "quanPin": s(""), "sex": 0, "remark": s(""), "contactType": 0, "province": mp.province,
            "city": mp.city, "signature": mp.signature, "alias": "", **_head(world, mp.id),
            "verifyFlag": 24, "chatroomVersion": 0, "deleteFlag": 0, "extFlag": 0}


def member(world: World, group: Group, person_id: str) -> dict[str, Any]:
    person = world.people[person_id]
    return {"user_name": wxid_of(world, person_id), "nick_name": person.nick_name,
            "display_name": group.display_names.get(person_id, ""), "big_head_img_url": "",
            "small_head_img_url": "", "chatroom_member_flag": 1}


def member_data(world: World, group: Group) -> dict[str, Any]:
    return {"member_count": len(group.member_ids),
            "chatroom_member_list": [member(world, group, m) for m in group.member_ids]}


def group_detail(world: World, group: Group) -> dict[str, Any]:
    return {"userName": s(wxid_of(world, group.id)), "nickName": s(group.nick_name), "quanPin": s(""),
            "chatRoomOwner": wxid_of(world, group.owner_id), **_head(world, group.id), "chatroomVersion": 10007,
            "chatroomMaxCount": 500, "chatroomAccessType": 0, "newChatroomData": member_data(world, group),
            "deleteFlag": 0 if group.has(SELF_ID) else 1, "chatroomStatus": 524288, "extFlag": 0}


def detail(world: World, entity_id: str) -> dict[str, Any] | None:
    if entity_id in world.groups:
        return group_detail(world, world.groups[entity_id])
    if entity_id in world.mps:
        return mp_detail(world, world.mps[entity_id])
    if entity_id in world.people:
        return person_detail(world, world.people[entity_id])
    return None


def profile(world: World) -> dict[str, Any]:
    me = world.account
    return {"userInfo": {"userName": s(wxid_of(world, SELF_ID)), "nickName": s(me.nick_name), "bindUin": world.uin,
                         "sex": me.sex, "province": me.province, "city": me.city, "signature": me.signature,
                         "alias": ""},
            "userInfoExt": {"bigHeadImgUrl": "", "smallHeadImgUrl": ""}}


def send_ack(world: World, to_id: str, text: str, new_msg_id: int) -> dict[str, Any]:
    """One entry of SendTextMessage's Data list (the recorded ``isSendSuccess`` form)."""
    wxid = wxid_of(world, to_id)
    return {"isSendSuccess": True, "textContent": text, "toUSerName": wxid,
            "resp": {"baseResponse": {"ret": 0, "errMsg": {}}, "count": 1,
                     "chatSendRetList": [{"ret": 0, "toUserName": s(wxid), "msgId": new_msg_id % 2_000_000_000,
                                          "clientMsgid": 0, "createTime": int(time.time()), "type": 1,
                                          "newMsgId": new_msg_id}]}}


def status_notify(world: World) -> dict[str, Any]:
    """The type-51 status notify the phone sends to a new login (the web face's, wire.status_notify, with wxids):
    its ``<username>`` lists the recent chats, groups the contact list leaves out among them. That the gateway
    pushes it right after the login, first on the WebSocket, is a guess (docs/SANDBOX.md)."""
    groups = [g.id for g in world.groups.values() if g.has(SELF_ID)][:10]
    chats = [FILEHELPER] + groups + [p.id for p in world.friends()[:5]]
    content = (f"<msg>\n<op id='4'>\n<username>{xml_escape(','.join(wxid_of(world, c) for c in chats))}</username>"
               "\n<unreadchatlist>\n</unreadchatlist>\n<unreadfunctionlist>\n</unreadfunctionlist>\n</op>\n</msg>")
    me = wxid_of(world, SELF_ID)
    msg_id = next_msg_id()
    return {"msg_id": msg_id % 2_000_000_000, "from_user_name": s(me), "to_user_name": s(me), "msg_type": 51,
            "content": s(content), "status": 3, "img_status": 1, "img_buf": {"len": 0},
            "create_time": int(time.time()), "msg_source": "", "push_content": "", "new_msg_id": msg_id,
            "msg_seq": 0, "Wxid": me}


_KEY_PREFIX = b"sandbox-sync:"


def sync_key_of(position: int) -> str:
    """The sync key of a log position, base64 like a Go gateway's ``KeyBuf`` ([]byte in JSON); opaque to clients."""
    return base64.b64encode(_KEY_PREFIX + str(position).encode()).decode()


def position_of_key(key: Any) -> int | None:
    """The log position of a sync key, or None for anything that is not one of ours."""
    try:
        raw = base64.b64decode(str(key or ""), validate=True)
    except (ValueError, TypeError):
        return None
    if not raw.startswith(_KEY_PREFIX) or not raw[len(_KEY_PREFIX):].isdigit():
        return None
    return int(raw[len(_KEY_PREFIX):])
