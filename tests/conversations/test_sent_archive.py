"""What the bot sends is archived (WeChat does not echo a web client's own sends): once per MsgID, with its media."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from drivers.types import SelfInfo
from extensions import db
from libs.events import STREAM_KEY
from libs.redis_client import get_redis
from models.message import Message
from wechat.bot.seam import ChatName
from wechat.messages.archive import media_root
from wechat.messages.sent import archive_sent


class Directory:
    def me(self) -> SelfInfo:
        return SelfInfo(id="me", nick_name="机器人")


GROUP = ChatName("g1", "<b>群</b>", "group")


@dataclass
class Upload:
    path: Path
    kind: str = "file"
    name: str = "议程.pdf"


def test_sent_parts_are_archived_once_with_media_and_announced(app, tmp_path):
    upload = Upload(tmp_path / "stored.bin")
    upload.path.write_bytes(b"%PDF-1.4 agenda")
    sent = [("text", "@张三\u2005你好", "101"), ("file", upload, "102"), ("text", "no id", "")]
    archive_sent(Directory(), GROUP, sent)
    archive_sent(Directory(), GROUP, sent)  # an echo or a retry of the same MsgIDs
    rows = db.session.execute(db.select(Message).order_by(Message.msg_id)).scalars().all()
    assert [(r.msg_id, r.type, r.is_outgoing, r.chat_kind, r.chat_name) for r in rows] == [
        ("101", "text", True, "group", "<b>群</b>"), ("102", "attachment", True, "group", "<b>群</b>")]
    assert rows[0].text == "@张三\u2005你好" and rows[0].sender_puid == "me"
    assert rows[1].file_name == "议程.pdf" and (media_root() / rows[1].file_path).read_bytes() == b"%PDF-1.4 agenda"
    events = [json.loads(fields[b"data"]) for _, fields in get_redis().xrange(STREAM_KEY)
              if fields[b"event"] == b"message"]
    assert [(e["msg_id"], e["is_outgoing"]) for e in events] == [("101", True), ("102", True)]


def test_archiving_never_fails_the_send(app):
    class Broken:
        id = "x"
        kind = "friend"

        @property
        def name(self):
            raise RuntimeError("boom")

    archive_sent(Directory(), Broken(), [("text", "hi", "1")])  # logged, not raised
    assert db.session.execute(db.select(Message)).first() is None
