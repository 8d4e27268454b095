"""What other people (and the owner's phone) do to the bot's world: messages, friend requests, joins,
contact changes. Used by the control API and the phone page; raises WorldError on bad input."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from sandbox import notes, wire
from sandbox.core import Sandbox
from sandbox.media import LARGE, MAX_GENERATED, Media, generated
from sandbox.world import FILEHELPER, FMESSAGE, MAX_GROUP_MEMBERS, SELF_ID, FriendRequest, Person, WorldError

MSG_TYPES = {"text": 1, "picture": 3, "voice": 34, "card": 42, "video": 43, "emoticon": 47,
             "file": 49, "sharing": 49, "red_packet": 49, "system": 10000, "recall": 10002}
RED_PACKET = 2001  # appmsg type of a red packet (红包); web WeChat shows only a note to open it on the phone
MEDIA_KINDS = ("picture", "voice", "video", "emoticon", "file")
MAX_COUNT = 100_000


def _stranger(sb: Sandbox, nick_name: str) -> Person:
    found = [p for p in sb.world.people_named(nick_name) if p.id != SELF_ID]
    if found:
        return found[0]
    return sb.world.add_person(Person(id=sb.world.new_id("p"), nick_name=nick_name))


def _media_body(kind: str, media: Media, media_id: str) -> tuple[str, dict[str, int]]:
    size, md5 = media.size, media.md5
    if kind == "picture":
        return (f'<msg><img length="{size}" md5="{md5}" hdlength="{size}" cdnthumbwidth="32" '
                f'cdnthumbheight="32" /></msg>', {"img_height": 32, "img_width": 32})
    if kind == "voice":
        return f'<msg><voicemsg endflag="1" length="{size}" voicelength="3000" /></msg>', {"voice_length": 3000}
    if kind == "video":
        return f'<msg><videomsg length="{size}" playlength="5" md5="{md5}" /></msg>', {"play_length": 5}
    if kind == "emoticon":
        return f'<msg><emoji type="2" md5="{md5}" len="{size}" productid="" /></msg>', {}
    ext = media.name.rsplit(".", 1)[-1] if "." in media.name else ""
    return wire.appmsg_xml(media.name, 6, attach=media_id, size=size, ext=ext, md5=md5), {}


def inject_messages(sb: Sandbox, spec: dict[str, Any]) -> dict[str, Any]:
    """POST /_sandbox/messages: see docs/SANDBOX.md for the fields."""
    world = sb.world
    kind = spec.get("type", "text")
    if kind not in MSG_TYPES:
        raise WorldError(f"type must be one of {', '.join(MSG_TYPES)}")
    count = spec.get("count", 1)
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise WorldError(f"count must be an integer in 1..{MAX_COUNT}")
    content = str(spec.get("content", ""))
    group = world.group(str(spec["group"])) if spec.get("group") else None
    if group is not None and not group.has(SELF_ID):
        raise WorldError(f"the bot is not in group {group.nick_name!r}")
    sender_name = spec.get("from")
    if kind == "system":
        sender = None
        if group is None:
            sender = world.person(str(sender_name), friends_only=True)
    elif not isinstance(sender_name, str):
        raise WorldError("'from' (a nick name) is required")
    elif group is not None:
        sender = world.person(sender_name, within=group)
    else:
        try:
            sender = world.person(sender_name, friends_only=True)
        except WorldError:
            sender = world.mp(sender_name)  # MPs talk to the bot too

    if group is not None:
        from_id, to_id = (SELF_ID, group.id) if sender and sender.id == SELF_ID else (group.id, SELF_ID)
        member_id = sender.id if sender and sender.id != SELF_ID else ""
    elif sender.id == SELF_ID:
        # The owner typed on the phone: real WeChat echoes it to the web client, From the bot To the chat.
        to_name = spec.get("to")
        from_id, member_id = SELF_ID, ""
        to_id = FILEHELPER if not to_name else world.person(str(to_name), friends_only=True).id
    else:
        from_id, to_id, member_id = sender.id, SELF_ID, ""

    fields: dict[str, Any] = {"member_id": member_id}
    if spec.get("create_time") is not None:  # a chosen CreateTime (unix seconds), e.g. a join note of last week
        created = spec["create_time"]
        if not isinstance(created, int) or isinstance(created, bool) or not 0 < created < 2**31:
            raise WorldError("create_time must be unix seconds (an integer)")
        fields["create_time"] = created
    result: dict[str, Any] = {}
    if kind in MEDIA_KINDS:
        media = _media_for(sb, kind, spec)
        media_id = sb.media.put(media)
        body, extra = _media_body(kind, media, media_id)
        fields.update(text=body, extra=extra)
        if kind == "file":
            fields.update(app_msg_type=6, file_name=media.name, file_size=media.size, media_id=media_id)
        result.update(md5=media.md5, size=media.size, file_name=media.name)
    elif kind == "sharing":
        url = str(spec.get("url") or "https://example.com/article?id=1&from=sandbox")
        fields.update(app_msg_type=5, file_name=content, url=url, text=wire.appmsg_xml(content, 5, url=url))
    elif kind == "red_packet":
        title = content or "恭喜发财，大吉大利"
        fields.update(app_msg_type=RED_PACKET, file_name=title, text=wire.appmsg_xml(title, RED_PACKET))
    elif kind == "card":
        fields.update(recommend_id=world.person(content).id)
    elif kind == "recall":
        fields["text"] = _revoke_xml(spec, sender.nick_name if sender else "")

    ids = []
    for n in range(1, count + 1):
        if kind in ("text", "system"):
            fields["text"] = content.replace("{n}", str(n))
        msg = sb.push(MSG_TYPES[kind], from_id, to_id, **fields)
        if kind in MEDIA_KINDS:
            sb.media.by_msg_id[msg.msg_id] = media
        ids.append(str(msg.msg_id))
    return {"msg_ids": ids, **result}


def _revoke_xml(spec: dict[str, Any], nick_name: str) -> str:
    """A type 10002 body as web WeChat sends it when someone recalls a message: the recalled MsgId and the note
    that replaces it (``{session}`` becomes the chat's UserName for each session in wire.py)."""
    old = str(spec.get("msg_id", ""))
    if not old.isdigit() or len(old) > 30:
        raise WorldError("a recall needs 'msg_id', the MsgId of the message it takes back")
    note = spec.get("content") or f'"{nick_name}" 撤回了一条消息'
    return (f'<sysmsg type="revokemsg"><revokemsg><session>{{session}}</session><oldmsgid>{old}</oldmsgid>'
            f'<msgid>{old}</msgid><replacemsg><![CDATA[{note}]]></replacemsg></revokemsg></sysmsg>')


def _media_for(sb: Sandbox, kind: str, spec: dict[str, Any]) -> Media:
    size = spec.get("size")
    if size is not None and (not isinstance(size, int) or not 0 <= size <= MAX_GENERATED):
        raise WorldError("size must be an integer number of bytes up to 4 GB (files above 8 MB: type file)")
    if size is not None and size > LARGE and kind != "file":
        raise WorldError("only files (type file) may be larger than 8 MB")
    media = generated(kind, seed=sb.log.position, size=size)
    if spec.get("data_b64"):
        try:
            media = Media(base64.b64decode(spec["data_b64"], validate=True), media.name, media.mime)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise WorldError("data_b64 is not valid base64") from exc
    if spec.get("file_name"):
        media.name = str(spec["file_name"])
    return media


def friend_request(sb: Sandbox, nick_name: str, text: str) -> dict[str, Any]:
    person = _stranger(sb, nick_name)
    if person.is_friend:
        raise WorldError(f"{nick_name!r} is already a friend")
    ticket = "v2_" + secrets.token_hex(16) + "@stranger"
    sb.world.friend_requests[person.id] = FriendRequest(person.id, text, ticket)
    msg = sb.push(37, FMESSAGE, SELF_ID, text=text, recommend_id=person.id, ticket=ticket)
    return {"msg_ids": [str(msg.msg_id)]}


def group_join(sb: Sandbox, group_name: str, nick_name: str, how: str, inviter: str | None) -> dict[str, Any]:
    """Someone joins a group by invitation or by scanning its QR code (member added + type 10000 note)."""
    world = sb.world
    group = world.group(group_name)
    if how not in ("invite", "qrcode"):
        raise WorldError("how must be 'invite' or 'qrcode'")
    if len(group.member_ids) >= MAX_GROUP_MEMBERS:
        raise WorldError(f"{group_name!r} already has {MAX_GROUP_MEMBERS} members")
    by = world.person(inviter, within=group) if inviter else world.people[group.owner_id]
    candidates = [p for p in world.people_named(nick_name) if p.id != SELF_ID]
    person = next((p for p in candidates if p.is_friend), None) or _stranger(sb, nick_name)
    if group.has(person.id):
        raise WorldError(f"{nick_name!r} is already in {group_name!r}")
    sb.pending_invites = [i for i in sb.pending_invites if i != (group.id, person.id)]
    note = notes.invited(sb, by.id, [person.id]) if how == "invite" else notes.scanned(sb, person.id, by.id)
    sb.join_group(group, [person.id], note)
    return {"group": group.nick_name, "members": len(group.member_ids)}


def mp_article(sb: Sandbox, mp_name: str, title: str, url: str, digest: str = "") -> dict[str, Any]:
    mp = sb.world.mp(mp_name)
    body = wire.mp_article_xml(mp.nick_name, title, url, digest, "https://example.com/cover.jpg")
    msg = sb.push(49, mp.id, SELF_ID, app_msg_type=5, file_name=title, url=url, text=body)
    return {"msg_ids": [str(msg.msg_id)]}

