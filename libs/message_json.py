"""A message as the dashboard sees it: the same JSON from the API (GET /api/messages) and in the live `message`
event, so a page can show the event's message as it is instead of fetching the list again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# An event stays well below libs/events.MAX_DATA_BYTES (64 KiB) even when every character is escaped to 6 bytes;
# a longer text is cut and flagged, and the page fetches the list instead (the whole text comes from the API).
EVENT_TEXT_CHARS = 4000


def message_json(message: Any) -> dict[str, Any]:
    """The JSON of a models.message.Message row or of the archive's record of one (a mapping with its row `id`)."""
    get = message.get if isinstance(message, Mapping) else lambda name: getattr(message, name)
    return {"id": get("id"), "msg_id": get("msg_id"), "type": get("type"), "chat_kind": get("chat_kind"),
            "chat_puid": get("chat_puid"), "chat_name": get("chat_name"), "sender_puid": get("sender_puid"),
            "sender_name": get("sender_name"), "is_outgoing": get("is_outgoing"), "text": get("text"),
            "url": get("url"), "file_name": get("file_name"), "file_size": get("file_size"),
            "media_url": f"/api/media/{get('id')}" if get("file_path") else None,
            "media_status": get("media_status"),  # why the media was not kept (models.message.MEDIA_SKIPPED)
            "created_at": get("created_at").isoformat()}


def message_event(message: Any) -> dict[str, Any]:
    """The live `message` event: message_json, with `text_truncated` set when the text had to be cut."""
    data = message_json(message)
    text = data["text"] or ""
    data["text_truncated"] = len(text) > EVENT_TEXT_CHARS
    data["text"] = text[:EVENT_TEXT_CHARS]
    return data
