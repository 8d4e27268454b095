"""Sending text and media to a chat with a caller-chosen ClientMsgId.

itchat stamps every message with ClientMsgId = the current time. The web client sends its own id with every
message; here it is derived from what is being sent to whom (job, item, part), so it is the same when a send is
repeated. Nothing recorded shows the web service deduplicating a repeated ClientMsgId, so no guarantee rests on it:
a send job stays at most once by its own bookkeeping (wechat/sending/jobs.py).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from xml.sax.saxutils import escape

MEDIA_KINDS = ("image", "emoticon", "video", "file")


class SendFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def client_msg_id(*parts: object) -> int:
    """A stable 17-digit id (the size of WeChat's own time-based ids) for the given parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return 10**16 + int.from_bytes(digest[:8], "big") % (9 * 10**16)


def _ext(msg_id: int | None, **extra) -> dict:
    ext = dict(extra)
    if msg_id is not None:
        ext.update(LocalID=msg_id, ClientMsgId=msg_id)
    return ext


def send_text(chat, text: str, msg_id: int | None = None):
    return chat.send_raw_msg(1, text, msg_ext=_ext(msg_id))


def upload(bot, path: Path, kind: str, to_user_name: str) -> str:
    result = bot.core.upload_file(str(path), isPicture=kind == "image", isVideo=kind == "video",
                                  toUserName=to_user_name)
    response = result.get("BaseResponse", {}) if hasattr(result, "get") else {}
    if response.get("Ret", -1) != 0 or not result.get("MediaId"):
        raise SendFailed(str(response.get("Ret", "upload")), response.get("ErrMsg") or "upload failed")
    return result["MediaId"]


def file_appmsg(display_name: str, size: int, media_id: str) -> str:
    """The appmsg XML for a file; the name is escaped (file names come from users)."""
    extension = os.path.splitext(display_name)[1].lstrip(".")
    return (f"<appmsg appid='wxeb7ec651dd0aefa9' sdkver=''><title>{escape(display_name)}</title><des></des>"
            "<action></action><type>6</type><content></content><url></url><lowurl></lowurl>"
            f"<appattach><totallen>{size}</totallen><attachid>{escape(media_id)}</attachid>"
            f"<fileext>{escape(extension)}</fileext></appattach><extinfo></extinfo></appmsg>")


def send_media(chat, path: Path, kind: str, display_name: str, msg_id: int | None = None):
    if kind not in MEDIA_KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    bot = chat.bot
    media_id = upload(bot, path, kind, chat.user_name)
    if kind == "image":
        return chat.send_raw_msg(3, "", uri="/webwxsendmsgimg?fun=async&f=json", msg_ext=_ext(msg_id, MediaId=media_id))
    if kind == "emoticon":
        return chat.send_raw_msg(47, "", uri="/webwxsendemoticon?fun=sys",
                                 msg_ext=_ext(msg_id, MediaId=media_id, EmojiFlag=2))
    if kind == "video":
        uri = "/webwxsendvideomsg?fun=async&f=json&pass_ticket=" + bot.core.loginInfo["pass_ticket"]
        return chat.send_raw_msg(43, "", uri=uri, msg_ext=_ext(msg_id, MediaId=media_id))
    content = file_appmsg(display_name, path.stat().st_size, media_id)
    return chat.send_raw_msg(6, content, uri="/webwxsendappmsg?fun=async&f=json", msg_ext=_ext(msg_id))


