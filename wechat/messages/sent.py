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
from wechat.bot.driver_factory import itchat

logger = logging.getLogger(__name__)

UPLOAD_TYPES = {"image": "picture", "emoticon": "emoticon", "video": "video", "file": "attachment"}


class _UploadCopy:
    """Stands in for a received wxpy message in the archive's media step (wechat/messages/media.py): its media is
    copied from the upload instead of downloaded."""

    def __init__(self, upload) -> None:
        self.upload = upload

    def copy_media_to(self, target: Path, max_bytes: int) -> int:
        size = Path(self.upload.path).stat().st_size
        if size > max_bytes:
            raise itchat.MediaTooLarge(max_bytes, size)
        shutil.copyfile(self.upload.path, target)
        return size


def sent_record(me, chat, kind: str, payload: Any, msg_id: str, now: datetime) -> dict[str, Any]:
    """The archive record of one part WeChat accepted (`me`: the driver's SelfInfo, `chat`: a wechat.bot.seam
    ChatName)."""
    upload = kind != "text"
    return {"msg_id": str(msg_id), "type": UPLOAD_TYPES.get(payload.kind, "attachment") if upload else "text",
            "chat_kind": chat.kind, "chat_puid": chat.id, "chat_name": normalize_emoji(chat.name or "")[:255],
            "sender_puid": me.id, "sender_name": (me.nick_name or "")[:255], "is_outgoing": True,
            "text": "" if upload else payload, "url": None,
            "file_name": payload.name if upload else None, "created_at": now}


def archive_sent(directory, chat, sent: list[tuple[str, Any, str]]) -> None:
    """Store and announce the parts in `sent` ((kind, payload, the driver's msg_id) each; a part without an id is
    not stored). `directory` names the bot (`me()`, wechat/bot/seam.py), `chat` is where it went. Never raises: the
    message is out, and a failure to archive it must not turn the send into a failed (and retried) one."""
    if not sent or not has_app_context():
        return
    from extensions import db
    from wechat.accounts import ensure_account
    from wechat.messages.archive import message_event, store_batch

    try:
        me = directory.me()
        # Whole seconds, as WeChat's CreateTime of every received message: a reply and an answer within the same
        # second then tie on time and keep their arrival order (the row id), instead of the reply sorting last.
        now = datetime.now(UTC).replace(microsecond=0)
        items = [(_UploadCopy(payload) if kind != "text" else None, sent_record(me, chat, kind, payload, msg_id, now))
                 for kind, payload, msg_id in sent if msg_id]
        if not items:
            return
        account_id = ensure_account(me.id, me.nick_name).id
        db.session.commit()
        stored = store_batch(items, account_id)
        if stored:
            publish_many([("message", message_event(record)) for record in stored])
    except Exception:
        logger.warning("could not archive a message the bot sent to %s", getattr(chat, "id", "?"), exc_info=True)
