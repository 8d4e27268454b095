"""The archive of what the bot itself sends: replies from the Conversations page, bulk and scheduled sends.

The web-WeChat protocol does not echo a web client's own sends back through webwxsync (the sandbox does not
either), so a reply typed in the dashboard was delivered but never archived: the conversation lost it on reload.
Each part WeChat accepted is stored like any archived message, under the MsgID WeChat answered with (so an echo,
should a server send one, is skipped as a re-delivery), with a copy of the uploaded file as its media, and
announced as a `message` event like every other stored message.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import has_app_context

from libs.emoji_markup import normalize_emoji
from libs.events import publish_many
from wechat.driver_factory import itchat

logger = logging.getLogger(__name__)

UPLOAD_TYPES = {"image": "picture", "emoticon": "emoticon", "video": "video", "file": "attachment"}


class _UploadCopy:
    """Stands in for a received wxpy message in the archive's media step (wechat/archive_media.py): its media is
    copied from the upload instead of downloaded."""

    def __init__(self, upload) -> None:
        self.upload = upload

    def copy_media_to(self, target: Path, max_bytes: int) -> int:
        size = Path(self.upload.path).stat().st_size
        if size > max_bytes:
            raise itchat.MediaTooLarge(max_bytes, size)
        shutil.copyfile(self.upload.path, target)
        return size


def chat_kind(chat) -> str:
    kind = type(chat).__name__
    return "group" if kind == "Group" else "mp" if kind == "MP" else "friend"


def sent_record(bot, chat, kind: str, payload: Any, reply: Any, now: datetime) -> dict[str, Any] | None:
    """The archive record of one part WeChat accepted (None when WeChat gave no message id to store it under)."""
    msg_id = getattr(reply, "id", None)
    if not msg_id:
        return None
    me = bot.self
    upload = kind != "text"
    return {"msg_id": str(msg_id), "type": UPLOAD_TYPES.get(payload.kind, "attachment") if upload else "text",
            "chat_kind": chat_kind(chat), "chat_puid": chat.puid, "chat_name": normalize_emoji(chat.name or "")[:255],
            "sender_puid": me.puid, "sender_name": (me.name or "")[:255], "is_outgoing": True,
            "text": "" if upload else payload, "url": None,
            "file_name": payload.name if upload else None, "created_at": now}


def archive_sent(bot, chat, sent: list[tuple[str, Any, Any]]) -> None:
    """Store and announce the parts in `sent` ((kind, payload, wxpy's SentMessage) each). Never raises: the
    message is out, and a failure to archive it must not turn the send into a failed (and retried) one."""
    if not sent or not has_app_context():
        return
    from wechat.accounts import account_of_bot
    from wechat.archive import message_event, store_batch

    try:
        # Whole seconds, as WeChat's CreateTime of every received message: a reply and an answer within the same
        # second then tie on time and keep their arrival order (the row id), instead of the reply sorting last.
        now = datetime.now(UTC).replace(microsecond=0)
        items = []
        for kind, payload, reply in sent:
            record = sent_record(bot, chat, kind, payload, reply, now)
            if record is not None:
                items.append((_UploadCopy(payload) if kind != "text" else None, record))
        if not items:
            return
        stored = store_batch(items, account_of_bot(bot).id)
        if stored:
            publish_many([("message", message_event(record)) for record in stored])
    except Exception:
        logger.warning("could not archive a message the bot sent to %s", getattr(chat, "puid", "?"), exc_info=True)
