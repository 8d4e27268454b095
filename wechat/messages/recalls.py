"""Recalled messages (type 10002): the archive keeps the original and marks it recalled, with who and when.

WeChat replaces a recalled message on the clients with a note ('"X" 撤回了一条消息') and sends a type 10002 message
whose XML names the recalled MsgId. Plain functions, independent of the WeChat driver.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update

from extensions import db
from models.message import Message
from models.wechat import NAME

# Bounded and anchored on literal tags: the content is hostile input and may be long.
_MSG_ID = re.compile(r"<msgid>\s*(\d{1,30})\s*</msgid>")
_OLD_MSG_ID = re.compile(r"<oldmsgid>\s*(\d{1,30})\s*</oldmsgid>")
_WHO = re.compile(r'"([^"\n]{1,255})"\s*(?:撤回了一条消息|recalled a message)')


def recalled_msg_id(content: str) -> str | None:
    """The MsgId a type 10002 body takes back, if it names one."""
    if "revokemsg" not in (content or ""):
        return None
    found = _MSG_ID.search(content) or _OLD_MSG_ID.search(content)
    return found.group(1) if found else None


def recaller(note: str, fallback: str) -> str:
    """Who recalled it: the name quoted in the replacing note, else the message's sender."""
    found = _WHO.search(note or "")
    return (found.group(1) if found else fallback or "")[:NAME]


def mark_recalled(account_id: int, recalls: list[tuple[str, str, datetime]]) -> int:
    """(original MsgId, who, when) for each recall: mark the stored originals (the caller commits). Returns how
    many rows were marked; a recall of a message the archive never had marks nothing."""
    marked = 0
    for msg_id, who, when in recalls:
        result = db.session.execute(update(Message).where(
            Message.account_id == account_id, Message.msg_id == msg_id, Message.recalled_at.is_(None))
            .values(recalled_at=when, recalled_by=who))
        marked += result.rowcount or 0
    return marked
