"""The live `message` event is the message as the API lists it, cut only where an event could grow too large."""

from __future__ import annotations

from datetime import UTC, datetime

from libs.events import encode_data
from libs.message_json import EVENT_TEXT_CHARS, message_event, message_json

RECORD = {"id": 7, "msg_id": "123", "type": "picture", "chat_kind": "group", "chat_puid": "g1", "chat_name": "群",
          "sender_puid": "p1", "sender_name": "张三", "is_outgoing": False, "text": "", "url": None,
          "file_name": "a.jpg", "file_path": "1/2023/a.jpg", "file_size": 10, "media_status": None,
          "created_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}


def test_the_event_is_the_api_json_of_the_stored_record():
    data = message_event(RECORD)
    assert data == {**message_json(RECORD), "text_truncated": False}
    assert data["media_url"] == "/api/media/7" and "file_path" not in data  # no server path reaches the browser


def test_a_long_text_is_cut_and_flagged_and_the_worst_case_still_fits_an_event():
    worst = {**RECORD, "text": "\u2028" * (EVENT_TEXT_CHARS * 3), "chat_name": "<" * 255, "sender_name": ">" * 255}
    data = message_event(worst)
    assert data["text_truncated"] is True and len(data["text"]) == EVENT_TEXT_CHARS
    encode_data(data)  # below libs/events.MAX_DATA_BYTES even when every character is escaped
