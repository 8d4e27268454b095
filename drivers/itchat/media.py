"""Downloading a message's media to disk in chunks, with a byte limit, from our side of itchat.

itchat's download functions (the `Text` of a media message) read the whole body into a BytesIO before writing it,
so a 2 GB attachment meant 2 GB in the bot's process, and there is no size limit. itchat stays unmodified: this
module builds the same request itchat would (`media_request`, from itchat 1.2.32 components/messages.py) and
streams the answer through the same `requests` session into a `.part` file, stopping at `max_bytes`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 64 * 1024
TIMEOUT = (10, 60)  # connect, and between two chunks: a stalled download does not hold the loop forever


class MediaTooLarge(Exception):
    """The media is larger than the bytes it may take; `size` is its size when the server declared it."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        super().__init__(f"media larger than {limit} bytes" + (f" ({size} bytes)" if size is not None else ""))
        self.limit = limit
        self.size = size


class NoMedia(Exception):
    """The message has no downloadable media (or the server refused it)."""


@dataclass(frozen=True)
class MediaRequest:
    url: str
    params: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def media_request(core: Any, raw: dict) -> MediaRequest | None:
    """The request itchat's download function for this message would make (None: no media)."""
    from itchat import config

    info = core.loginInfo
    headers = {"User-Agent": config.USER_AGENT}
    kind, app_type = raw.get("MsgType"), raw.get("AppMsgType")
    if kind in (3, 47) or (kind == 49 and app_type == 8):
        return MediaRequest(f"{info['url']}/webwxgetmsgimg", {"msgid": raw["NewMsgId"], "skey": info["skey"]},
                            headers)
    if kind == 34:
        return MediaRequest(f"{info['url']}/webwxgetvoice", {"msgid": raw["NewMsgId"], "skey": info["skey"]},
                            headers)
    if kind in (43, 62):
        return MediaRequest(f"{info['url']}/webwxgetvideo", {"msgid": raw["MsgId"], "skey": info["skey"]},
                            {**headers, "Range": "bytes=0-"})
    if kind == 49 and app_type == 6:
        params = {"sender": raw["FromUserName"], "mediaid": raw["MediaId"], "filename": raw["FileName"],
                  "fromuser": info["wxuin"], "pass_ticket": "undefined",
                  "webwx_data_ticket": core.s.cookies.get("webwx_data_ticket", "")}
        return MediaRequest(f"{info['fileUrl']}/webwxgetmedia", params, headers)
    return None


def declared_size(headers: Any) -> int | None:
    value = headers.get("Content-Range", "").rpartition("/")[2] or headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def download(session: Any, request: MediaRequest, target: Path, max_bytes: int) -> int:
    """Stream the media into `target` (written as `target.part`, renamed when complete); returns its size.

    Raises MediaTooLarge (nothing left on disk) when the server declares, or sends, more than `max_bytes`."""
    part = target.with_name(target.name + ".part")
    try:
        with open(part, "wb") as handle:
            written = download_to(session, request, handle, max_bytes)
        os.replace(part, target)
        return written
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def download_to(session: Any, request: MediaRequest, sink: BinaryIO, max_bytes: int) -> int:
    """Stream the media into `sink` in chunks; returns its size. Raises MediaTooLarge when the server declares, or
    sends, more than `max_bytes` (the caller discards what `sink` holds)."""
    response = session.get(request.url, params=request.params, headers=request.headers, stream=True,
                           timeout=TIMEOUT)
    try:
        if response.status_code >= 400:
            raise NoMedia(f"the server answered {response.status_code}")
        size = declared_size(response.headers)
        if size is not None and size > max_bytes:
            raise MediaTooLarge(max_bytes, size)
        written = 0
        for chunk in response.iter_content(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise MediaTooLarge(max_bytes)
            sink.write(chunk)
        return written
    finally:
        response.close()


def download_message_media(msg: Any, target: Path, max_bytes: int) -> int:
    """Download a wxpy message's media into `target` (see `download`)."""
    core = msg.bot.core
    request = media_request(core, msg.raw)
    if request is None:
        raise NoMedia(f"message type {msg.raw.get('MsgType')} carries no media")
    return download(core.s, request, target, max_bytes)


def download_message_media_to(msg: Any, sink: BinaryIO, max_bytes: int) -> int:
    """Stream a wxpy message's media into `sink` (see `download_to`)."""
    core = msg.bot.core
    request = media_request(core, msg.raw)
    if request is None:
        raise NoMedia(f"message type {msg.raw.get('MsgType')} carries no media")
    return download_to(core.s, request, sink, max_bytes)
