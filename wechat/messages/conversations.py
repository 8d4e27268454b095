"""The Conversations page's reads: the chat list (latest first, pinned on top) and a chat's history by cursor.

Plain functions over the archive; views/chats.py is the HTTP around them. Both are index walks:
ix_messages_chat_time (account, chat, created_at) gives each chat's latest message and every history page with
one seek, however long the history (keyset paging, libs/cursor.py: no OFFSET, no gaps or repeats while new
messages arrive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from extensions import db
from libs.api import like_pattern
from models.conversation import ChatPin
from models.message import Message
from models.wechat import Contact, Group
from wechat.messages.payload import message_payload

PREVIEW_TEXT = 120
MAX_CHATS = 200
MAX_PAGE = 200
COLUMNS = [column.key for column in Message.__table__.columns]


def _row(message: Message) -> dict[str, Any]:
    return {key: getattr(message, key) for key in COLUMNS}


def _chat_names(account_id: int, puids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if not puids:
        return found
    for contact in db.session.execute(select(Contact).where(
            Contact.account_id == account_id, Contact.puid.in_(puids))).scalars():
        found[contact.puid] = {"name": contact.remark_name or contact.nick_name, "kind": "mp" if contact.is_mp
                               else "friend", "avatar_url": f"/api/avatars/contacts/{contact.id}"
                               if contact.avatar_path else None, "group_id": None, "member_count": None}
    for group in db.session.execute(select(Group).where(
            Group.account_id == account_id, Group.puid.in_(puids))).scalars():
        found[group.puid] = {"name": group.nick_name, "kind": "group", "group_id": group.id,
                             "avatar_url": f"/api/avatars/groups/{group.id}" if group.avatar_path else None,
                             "member_count": group.member_count}
    return found


def _matching_puids(account_id: int, needle: str) -> set[str]:
    """Chats whose name contains the needle: contacts and groups by name, and archived chats by the name their
    latest message carries (chats that left the contact list keep their history). The latter compares each chat's
    latest name in Python: a LIKE over every message's chat_name read the whole archive (1.5 s at 500,000 messages,
    0.4 s as a join, which SQLite planned as a scan too)."""
    pattern = like_pattern(needle.lower())
    people = select(Contact.puid).where(Contact.account_id == account_id, or_(
        func.lower(Contact.nick_name).like(pattern, escape="\\"),
        func.lower(Contact.remark_name).like(pattern, escape="\\")), or_(Contact.is_friend, Contact.is_mp))
    groups = select(Group.puid).where(Group.account_id == account_id,
                                      func.lower(Group.nick_name).like(pattern, escape="\\"))
    found: set[str] = set()
    for query in (people, groups):
        found.update(puid for puid in db.session.execute(query.limit(MAX_CHATS)).scalars() if puid)
    folded = needle.casefold()
    found.update(puid for puid, name in _latest_names(account_id).items() if folded in (name or "").casefold())
    return found


def _last_times(account_id: int):
    return select(Message.chat_puid, func.max(Message.created_at).label("at")).where(
        Message.account_id == account_id, Message.chat_puid.is_not(None)).group_by(Message.chat_puid)


def _latest_names(account_id: int) -> dict[str, str]:
    """{chat: the chat name its latest message carries} for every archived chat: one seek per chat on
    ix_messages_chat_time (a row-value IN over the (chat, time) pairs was planned as a scan of the archive)."""
    names: dict[str, str] = {}
    for puid, at in db.session.execute(_last_times(account_id)).all():
        names[puid] = db.session.execute(select(Message.chat_name).where(
            Message.account_id == account_id, Message.chat_puid == puid, Message.created_at == at).limit(1)).scalar()
    return names


def _latest(account_id: int, chat: str) -> Message | None:
    return db.session.execute(select(Message).where(Message.account_id == account_id, Message.chat_puid == chat)
                              .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)).scalar()


def chat_list(account_id: int, unread: dict[str, int], needle: str | None = None,
              limit: int = 50) -> list[dict[str, Any]]:
    """The chats with their latest message, pinned ones first, then by latest message (newest first)."""
    pins = {pin.chat_puid: pin.pinned_at for pin in db.session.execute(
        select(ChatPin).where(ChatPin.account_id == account_id)).scalars()}
    last_at = _last_times(account_id)
    wanted: set[str] | None = None
    if needle:
        wanted = _matching_puids(account_id, needle)
        last_at = last_at.where(Message.chat_puid.in_(wanted)) if wanted else None
    times: dict[str, datetime | None] = {}
    if last_at is not None:
        ordered = last_at.order_by(func.max(Message.created_at).desc()).limit(limit)
        times = {puid: at for puid, at in db.session.execute(ordered)}
    for puid in pins if wanted is None else (wanted & set(pins)) | (wanted - set(times)):
        times.setdefault(puid, None)  # pinned or found by name, without messages (yet)
    names = _chat_names(account_id, list(times))
    items = []
    for puid in times:
        latest = _latest(account_id, puid) if times[puid] is not None else None
        info = names.get(puid)
        if latest is None and info is None:
            continue  # a pin of a chat that is gone
        info = info or {"name": latest.chat_name, "kind": latest.chat_kind, "avatar_url": None, "group_id": None,
                        "member_count": None}
        items.append({"puid": puid, **info, "name": info["name"] or (latest.chat_name if latest else "") or puid,
                      "pinned": puid in pins, "unread": int(unread.get(puid, 0)),
                      "last_message": message_payload(_row(latest), text_limit=PREVIEW_TEXT) if latest else None})
    # WeChat's times are whole seconds: the row id (arrival order) breaks ties.
    items.sort(key=lambda item: (not item["pinned"], -_timestamp(item["last_message"]),
                                 -(item["last_message"] or {}).get("id", 0)))
    return items[:limit + len(pins)]


def _timestamp(last: dict[str, Any] | None) -> float:
    return datetime.fromisoformat(last["created_at"]).timestamp() if last else 0.0


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]  # oldest first, as a conversation reads
    has_more: bool  # more beyond the page in the direction asked (older for `before`, newer for `after`)


def history(account_id: int, chat: str, limit: int, before: tuple[datetime, int] | None = None,
            after: tuple[datetime, int] | None = None) -> Page:
    """One page of a chat: the newest `limit` messages, or those just before / just after a cursor's message."""
    query = select(Message).where(Message.account_id == account_id, Message.chat_puid == chat)
    newest_first = after is None
    if before is not None:
        at, row_id = before
        query = query.where(or_(Message.created_at < at, and_(Message.created_at == at, Message.id < row_id)))
    if after is not None:
        at, row_id = after
        query = query.where(or_(Message.created_at > at, and_(Message.created_at == at, Message.id > row_id)))
    if newest_first:
        query = query.order_by(Message.created_at.desc(), Message.id.desc())
    else:
        query = query.order_by(Message.created_at, Message.id)
    rows = db.session.execute(query.limit(limit + 1)).scalars().all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if newest_first:
        rows.reverse()
    avatars = _sender_avatars(account_id, {row.sender_puid for row in rows if row.sender_puid and not row.is_outgoing})
    items = []
    for row in rows:
        item = message_payload(_row(row))
        item["sender_avatar_url"] = avatars.get(row.sender_puid) if not row.is_outgoing else None
        items.append(item)
    return Page(items, has_more)


def _sender_avatars(account_id: int, puids: set[str]) -> dict[str, str]:
    """The avatar URL of each sender on a page who has a downloaded avatar (one indexed query per page)."""
    if not puids:
        return {}
    rows = db.session.execute(select(Contact.puid, Contact.id).where(
        Contact.account_id == account_id, Contact.puid.in_(puids), Contact.avatar_path.is_not(None)))
    return {puid: f"/api/avatars/contacts/{contact_id}" for puid, contact_id in rows}


def set_pinned(account_id: int, chat: str, pinned: bool) -> bool:
    """Pin or unpin a chat (the caller commits); returns whether anything changed."""
    pin = db.session.execute(select(ChatPin).where(ChatPin.account_id == account_id,
                                                   ChatPin.chat_puid == chat)).scalar()
    if pinned and pin is None:
        db.session.add(ChatPin(account_id=account_id, chat_puid=chat))
        return True
    if not pinned and pin is not None:
        db.session.delete(pin)
        return True
    return False
