"""Rendering the world and the log as web-WeChat JSON for one session (field names as the real service)."""

from __future__ import annotations

import html
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from sandbox.events import ContactChange, Message
from sandbox.session import Session
from sandbox.world import FILEHELPER, SELF_ID, Group, Mp, Person, World

ICON = "/cgi-bin/mmwebwx-bin/webwxgeticon?seq=0&username={name}&skey={skey}"
HEADIMG = "/cgi-bin/mmwebwx-bin/webwxgetheadimg?seq=0&username={name}&skey={skey}"
VERIFY_MP = 24  # VerifyFlag & 8 marks an MP for itchat


def emoji_markup(text: str) -> str:
    """Real WeChat's <span class="emoji emoji1f604"></span> form for non-BMP / symbol characters."""
    return "".join(f'<span class="emoji emoji{ord(c):x}"></span>' if _is_emoji(c) else c for c in text)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x2600 <= code <= 0x27BF or 0x1F000 <= code <= 0x1FAFF


def wire_text(text: str) -> str:
    """Message Content as the service sends it: HTML-escaped, newlines as <br/> (itchat undoes both)."""
    return html.escape(text, quote=False).replace("\n", "<br/>")


def _nick(person: Person) -> str:
    return emoji_markup(person.nick_name) if person.emoji_markup else person.nick_name


def person_contact(world: World, s: Session, person: Person) -> dict[str, Any]:
    name = s.name_of(person.id)
    return {
        "Uin": 0, "UserName": name, "NickName": _nick(person), "HeadImgUrl": ICON.format(name=name, skey=s.skey),
        "ContactFlag": 3 if person.is_friend else 0, "MemberCount": 0, "MemberList": [],
        "RemarkName": person.remark_name if person.is_friend else "", "HideInputBarFlag": 0, "Sex": person.sex,
        "Signature": person.signature, "VerifyFlag": 0, "OwnerUin": 0, "PYInitial": "", "PYQuanPin": "",
        "RemarkPYInitial": "", "RemarkPYQuanPin": "", "StarFriend": 0, "AppAccountFlag": 0, "Statues": 0,
        "AttrStatus": 33656933, "Province": person.province, "City": person.city, "Alias": "", "SnsFlag": 17,
        "UniFriend": 0, "DisplayName": "", "ChatRoomId": 0, "KeyWord": "", "EncryChatRoomId": "", "IsOwner": 0,
    }


def mp_contact(s: Session, mp: Mp) -> dict[str, Any]:
    name = s.name_of(mp.id)
    return {
        "Uin": 0, "UserName": name, "NickName": mp.nick_name, "HeadImgUrl": ICON.format(name=name, skey=s.skey),
        "ContactFlag": 3, "MemberCount": 0, "MemberList": [], "RemarkName": "", "HideInputBarFlag": 0, "Sex": 0,
        "Signature": mp.signature, "VerifyFlag": VERIFY_MP, "OwnerUin": 0, "PYInitial": "", "PYQuanPin": "",
        "RemarkPYInitial": "", "RemarkPYQuanPin": "", "StarFriend": 0, "AppAccountFlag": 0, "Statues": 0,
        "AttrStatus": 0, "Province": mp.province, "City": mp.city, "Alias": "", "SnsFlag": 0, "UniFriend": 0,
        "DisplayName": "", "ChatRoomId": 0, "KeyWord": "gh_", "EncryChatRoomId": "", "IsOwner": 0,
    }


def group_member(world: World, s: Session, group: Group, person_id: str) -> dict[str, Any]:
    person = world.people[person_id]
    return {"Uin": 0, "UserName": s.name_of(person_id), "NickName": _nick(person), "AttrStatus": 0,
            "PYInitial": "", "PYQuanPin": "", "RemarkPYInitial": "", "RemarkPYQuanPin": "", "MemberStatus": 0,
            "DisplayName": group.display_names.get(person_id, ""), "KeyWord": ""}


def group_contact(world: World, s: Session, group: Group, with_members: bool) -> dict[str, Any]:
    """webwxgetcontact lists groups without members; webwxbatchgetcontact and sync include them."""
    name = s.name_of(group.id)
    members = [group_member(world, s, group, m) for m in group.member_ids] if with_members else []
    return {
        "Uin": 0, "UserName": name, "NickName": group.nick_name, "HeadImgUrl": HEADIMG.format(name=name, skey=s.skey),
        "ContactFlag": 3, "MemberCount": len(group.member_ids), "MemberList": members, "RemarkName": "",
        "HideInputBarFlag": 0, "Sex": 0, "Signature": "", "VerifyFlag": 0, "OwnerUin": 0, "PYInitial": "",
        "PYQuanPin": "", "RemarkPYInitial": "", "RemarkPYQuanPin": "", "StarFriend": 0, "AppAccountFlag": 0,
        "Statues": 1, "AttrStatus": 0, "Province": "", "City": "", "Alias": "", "SnsFlag": 0, "UniFriend": 0,
        "DisplayName": "", "ChatRoomId": 0, "KeyWord": "", "EncryChatRoomId": s.encry_chatroom_id(group.id),
        "ChatRoomOwner": s.name_of(group.owner_id), "IsOwner": int(group.owner_id == SELF_ID),
    }


def self_user(world: World, s: Session) -> dict[str, Any]:
    me = world.account
    name = s.name_of(SELF_ID)
    return {"Uin": world.uin, "UserName": name, "NickName": _nick(me),
            "HeadImgUrl": ICON.format(name=name, skey=s.skey), "RemarkName": "", "PYInitial": "", "PYQuanPin": "",
            "RemarkPYInitial": "", "RemarkPYQuanPin": "",
            "HideInputBarFlag": 0, "StarFriend": 0, "Sex": me.sex, "Signature": me.signature, "AppAccountFlag": 0,
            "VerifyFlag": 0, "ContactFlag": 0, "WebWxPluginSwitch": 0, "HeadImgFlag": 1, "SnsFlag": 17}


def contact(world: World, s: Session, entity_id: str, *, with_members: bool = True) -> dict[str, Any] | None:
    if entity_id in world.groups:
        return group_contact(world, s, world.groups[entity_id], with_members)
    if entity_id in world.mps:
        return mp_contact(s, world.mps[entity_id])
    if entity_id in world.people:
        return person_contact(world, s, world.people[entity_id])
    return None


def filehelper_contact() -> dict[str, Any]:
    return {"Uin": 0, "UserName": FILEHELPER, "NickName": "文件传输助手", "HeadImgUrl": "", "ContactFlag": 3,
            "MemberCount": 0, "MemberList": [], "RemarkName": "", "Sex": 0, "Signature": "", "VerifyFlag": 0,
            "AttrStatus": 0, "Province": "", "City": "", "Alias": "", "DisplayName": "", "KeyWord": "fil",
            "EncryChatRoomId": "", "IsOwner": 0}


def recommend_info(world: World, s: Session, msg: Message) -> dict[str, Any]:
    info = {"UserName": "", "NickName": "", "QQNum": 0, "Province": "", "City": "", "Content": "",
            "Signature": "", "Alias": "", "Scene": 0, "VerifyFlag": 0, "AttrStatus": 0, "Sex": 0,
            "Ticket": "", "OpCode": 0}
    person = world.people.get(msg.recommend_id)
    if person is not None:
        info.update(UserName=s.name_of(person.id), NickName=person.nick_name, Province=person.province,
                    City=person.city, Signature=person.signature, Sex=person.sex, AttrStatus=33656933)
        if msg.msg_type == 37:
            info.update(Content=msg.text, Ticket=msg.ticket, Scene=30, OpCode=2)
    return info


def card_xml(world: World, s: Session, person_id: str) -> str:
    p = world.people[person_id]
    return (f'<?xml version="1.0"?>\n<msg bigheadimgurl="" smallheadimgurl="" username={quoteattr(s.name_of(p.id))} '
            f'nickname={quoteattr(p.nick_name)} fullpy="" shortpy="" alias="" imagestatus="3" scene="17" '
            f'province={quoteattr(p.province)} city={quoteattr(p.city)} sign={quoteattr(p.signature)} '
            f'sex="{p.sex}" certflag="0" certinfo="" brandIconUrl="" brandHomeUrl="" brandFlags="0" regionCode="" />')


def message(world: World, s: Session, msg: Message) -> dict[str, Any]:
    body = msg.text
    if msg.msg_type == 42:
        body = card_xml(world, s, msg.recommend_id)
    elif msg.msg_type == 10002:  # a recall names its chat by this session's UserName
        body = body.replace("{session}", s.name_of(msg.to_id if msg.from_id == SELF_ID else msg.from_id), 1)
    content = wire_text(body)
    from_name, to_name = s.name_of(msg.from_id), s.name_of(msg.to_id)
    if msg.msg_type == 10000 and msg.from_id in world.groups:
        content = body  # itchat does not unescape group system notes, so they travel as plain text
    elif msg.member_id and msg.from_id in world.groups:
        content = f"{s.name_of(msg.member_id)}:<br/>{content}"
    return {
        "MsgId": str(msg.msg_id), "FromUserName": from_name, "ToUserName": to_name, "MsgType": msg.msg_type,
        "Content": content, "Status": 3, "ImgStatus": 2 if msg.msg_type in (3, 47) else 1,
        "CreateTime": msg.create_time, "VoiceLength": msg.extra.get("voice_length", 0),
        "PlayLength": msg.extra.get("play_length", 0), "FileName": msg.file_name,
        "FileSize": str(msg.file_size) if msg.file_size else "", "MediaId": msg.media_id,
        "Url": html.escape(msg.url), "AppMsgType": msg.app_msg_type, "StatusNotifyCode": 0,
        "StatusNotifyUserName": "", "RecommendInfo": recommend_info(world, s, msg), "ForwardFlag": 0,
        "AppInfo": {"AppID": "", "Type": 0}, "HasProductId": 0, "Ticket": msg.ticket,
        "ImgHeight": msg.extra.get("img_height", 0), "ImgWidth": msg.extra.get("img_width", 0),
        "SubMsgType": 0, "NewMsgId": msg.msg_id, "OriContent": "", "EncryFileName": "",
    }


def sync_lists(world: World, s: Session, entries: list[Message | ContactChange]) -> dict[str, list]:
    """AddMsgList / ModContactList / DelContactList for a slice of the log (latest state of each contact)."""
    add, mod, deleted, seen = [], [], [], set()
    for entry in entries:
        if isinstance(entry, Message):
            add.append(message(world, s, entry))
            continue
        if entry.entity_id in seen:
            continue
        seen.add(entry.entity_id)
        rendered = None if entry.deleted else contact(world, s, entry.entity_id)
        if rendered is None:
            deleted.append({"UserName": s.name_of(entry.entity_id), "ContactFlag": 0})
        else:
            mod.append(rendered)
    return {"AddMsgList": add, "ModContactList": mod, "DelContactList": deleted}


def appmsg_xml(title: str, app_type: int, *, url: str = "", des: str = "", attach: str = "",
               size: int = 0, ext: str = "", md5: str = "", inner: str = "") -> str:
    """The <msg><appmsg> body of type-49 messages (files, links, MP articles)."""
    e = xml_escape
    return (f'<msg><appmsg appid="" sdkver="0"><title>{e(title)}</title><des>{e(des)}</des><action></action>'
            f"<type>{app_type}</type><showtype>0</showtype><content></content><url>{e(url)}</url>"
            f"<appattach><totallen>{size}</totallen><attachid>{e(attach)}</attachid><fileext>{e(ext)}</fileext>"
            f"</appattach><md5>{md5}</md5>{inner}</appmsg></msg>")


def mp_article_xml(mp_name: str, title: str, url: str, digest: str, cover: str) -> str:
    e = xml_escape
    item = (f"<item><itemshowtype>0</itemshowtype><title>{e(title)}</title><url>{e(url)}</url>"
            f"<pub_time>0</pub_time><cover>{e(cover)}</cover><digest>{e(digest)}</digest><fileid>0</fileid>"
            f"<sources><source><name>{e(mp_name)}</name></source></sources></item>")
    reader = (f'<mmreader><category type="20" count="1"><name>{e(mp_name)}</name>{item}</category>'
              f"<publisher><username></username><nickname>{e(mp_name)}</nickname></publisher></mmreader>")
    return appmsg_xml(title, 5, url=url, des=digest, inner=reader)
