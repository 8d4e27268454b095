"""Reading the bot's contacts into plain dicts (the only part of the sync that touches wxpy)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from libs.emoji_markup import normalize_emoji
from wechat.driver_factory import itchat

logger = logging.getLogger(__name__)

MEMBER_BATCH = 50  # groups per webwxbatchgetcontact call, as web WeChat does
CONTACT_FIELDS = ("nick_name", "remark_name", "sex", "province", "city", "signature")
# Built-in accounts web WeChat lists among the contacts (file transfer, friend requests, WeChat team, ...).
SPECIAL_USER_NAMES = frozenset({"filehelper", "fmessage", "weixin", "newsapp", "notifymessage", "floatbottle",
                                "medianote", "qqmail", "tmessage", "qmessage", "qqsync", "voip", "blogapp"})


def _person(chat) -> dict[str, Any] | None:
    if chat.user_name in SPECIAL_USER_NAMES:
        return None
    puid = itchat.ChatDirectory.puid_of(chat)
    if not puid:
        logger.info("sync: skipping %r, it has no usable puid", getattr(chat, "user_name", "?"))
        return None
    raw = chat.raw
    return {"puid": puid, "nick_name": normalize_emoji(raw.get("NickName") or "")[:255],
            "remark_name": normalize_emoji(raw.get("RemarkName") or "")[:255], "sex": int(raw.get("Sex") or 0),
            "province": (raw.get("Province") or "")[:255], "city": (raw.get("City") or "")[:255],
            "signature": normalize_emoji(raw.get("Signature") or "")}


def refresh(bot) -> None:
    """Fetch the contact list from WeChat (friends and MPs that are gone are forgotten)."""
    itchat.refresh_contacts(bot.core)


def friends(bot) -> dict[str, dict[str, Any]]:
    rows = (_person(chat) for chat in bot.except_self(bot.friends()))
    return {row["puid"]: row for row in rows if row}


def mps(bot) -> dict[str, dict[str, Any]]:
    rows = (_person(chat) for chat in bot.mps())
    return {row["puid"]: row for row in rows if row}


def load_member_lists(bot, progress: Callable[[int, int], None] = lambda done, total: None) -> None:
    """Fetch member lists for groups that lack them, in batches (one request per 50 groups)."""
    core = bot.core
    missing = [room["UserName"] for room in core.chatroomList if not room.get("MemberList")]
    for start in range(0, len(missing), MEMBER_BATCH):
        core.update_chatroom(missing[start:start + MEMBER_BATCH], detailedMember=False)
        progress(min(start + MEMBER_BATCH, len(missing)), len(missing))


def groups(bot, progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, dict[str, Any]]:
    """Groups with their members: {group puid: {fields..., "members": {member puid: {nick_name, display_name}}}}."""
    from wxpy.api.chats import Member

    load_member_lists(bot, progress)
    me = bot.self
    result: dict[str, dict[str, Any]] = {}
    for group in bot.groups():
        puid = itchat.ChatDirectory.puid_of(group)
        if not puid:
            logger.info("sync: skipping group %r, it has no usable puid", group.user_name)
            continue
        members: dict[str, dict[str, Any]] = {}
        owner_user_name = group.raw.get("ChatRoomOwner") or ""
        owner_puid = None
        for raw_member in group.raw.get("MemberList") or []:
            if raw_member.get("UserName") == me.user_name:
                continue
            member = Member(raw_member, group)
            member_puid = itchat.ChatDirectory.puid_of(member)
            if not member_puid:
                continue
            if raw_member.get("UserName") == owner_user_name:
                owner_puid = member_puid
            members[member_puid] = {"nick_name": normalize_emoji(raw_member.get("NickName") or "")[:255],
                                    "display_name": normalize_emoji(raw_member.get("DisplayName") or "")[:255]}
        is_owner = bool(group.raw.get("IsOwner")) or owner_user_name == me.user_name
        result[puid] = {"puid": puid, "nick_name": normalize_emoji(group.raw.get("NickName") or "")[:255],
                        "is_owner": is_owner, "owner_puid": me.puid if is_owner else owner_puid,
                        "member_count": len(members) + 1, "members": members}
    return result
