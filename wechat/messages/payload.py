"""One shape for a message leaving the server: the JSON API's conversation pages and the SSE `message` event.

Both carry the whole message, so a page appends a live one exactly as it would render a fetched one. An event has
a size limit (libs/events.MAX_DATA_BYTES): an extreme text or URL is cut there and the payload says `truncated`,
and the page fetches that message from the API instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from libs import cursor

# Events are JSON with <, > and & escaped to six bytes each: 6,000 characters stay far below 64 KB in any script.
EVENT_TEXT_LIMIT = 6000
EVENT_URL_LIMIT = 2048
# What WeChat writes into the system note that replaces a recalled message (zh-CN and English clients).
RECALLED = re.compile(r"撤回了一条消息|recalled a message", re.IGNORECASE)


def is_recall_note(kind: str, text: str) -> bool:
    return kind in ("note", "system") and bool(RECALLED.search(text or ""))


def message_payload(row: Mapping[str, Any], text_limit: int | None = None) -> dict[str, Any]:
    """The JSON of one stored message (`row`: the archive's record with its `id`, or a Message's columns)."""
    text, url = row.get("text") or "", row.get("url")
    truncated = False
    if text_limit is not None and len(text) > text_limit:
        text, truncated = text[:text_limit], True
    if text_limit is not None and url and len(url) > EVENT_URL_LIMIT:
        url, truncated = None, True
    return {
        "id": row["id"], "account_id": row.get("account_id"),
        "msg_id": row.get("msg_id"), "type": row["type"], "chat_kind": row["chat_kind"],
        "chat_puid": row["chat_puid"], "chat_name": row.get("chat_name") or "",
        "sender_puid": row.get("sender_puid"), "sender_name": row.get("sender_name") or "",
        "is_outgoing": bool(row.get("is_outgoing")), "text": text, "url": url,
        "file_name": row.get("file_name"), "file_size": row.get("file_size"),
        "media_url": f"/api/media/{row['id']}" if row.get("file_path") else None,
        "media_status": row.get("media_status"),
        # The note that replaced a recalled message, or the original itself
        # (kept, marked by wechat/messages/recalls.py).
        "recalled": bool(row.get("recalled_at")) or is_recall_note(row["type"], text),
        "recalled_at": row["recalled_at"].isoformat() if row.get("recalled_at") else None,
        "recalled_by": row.get("recalled_by"),
        "created_at": row["created_at"].isoformat(), "cursor": cursor.encode(row["created_at"], row["id"]),
        "truncated": truncated,
    }
