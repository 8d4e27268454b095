"""Received media: what a message needs to be fetched later (its ``media_ref``) and fetching it within a cap.

Endpoints of the 8059-era API, as its open-source clients call them (docs/DRIVERS.md, "Media"):

- image: ``/message/GetMsgBigImg`` with ``MsgId`` (the short ``msg_id``, not ``new_msg_id``), ``FromUserName``,
  ``ToUserName``, ``TotalLen``, ``Section {StartPos, DataLen}``, ``CompressType`` 0; one section per call, the
  answer's ``Data`` holds ``TotalLen``, ``StartPos``, ``DataLen`` and ``Data.Buffer`` (base64; ``buffer`` in forks).
- video: ``/message/GetMsgVideo``, the same request and answer.
- voice: ``/message/GetMsgVoice`` with ``Bufid`` and ``Length`` (from ``<voicemsg>``), ``NewMsgId``,
  ``ToUserName``; the whole voice in ``Data.Base64`` (AstrBot; ``Buffer``/``buffer`` accepted).
- file: ``/message/SendCdnDownload`` with ``AesKey`` and ``FileURL`` (``<appattach>`` ``aeskey``/``cdnattachurl``),
  ``FileType`` 5; the whole file in ``Data.FileData`` (base64) with ``Data.TotalSize``.

Every size in a message is the sender's claim (hostile): a declared size above the cap stops before any request,
and the received bytes are counted again as they come (a smaller claim does not let more through). A file's answer
is decoded as it arrives (``_cdn_file``); the others are read with a byte cap (``GatewayClient.call(max_bytes=…)``),
so a lying gateway cannot make the worker hold more than a section or a voice.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, BinaryIO

import requests

from drivers.padpro import xmlsafe
from drivers.padpro.client import CHUNK, AnswerTooLarge, GatewayClient
from drivers.padpro.shapes import integer, pick, text
from drivers.types import MediaTooLarge, MessageEvent, Unavailable, Unsupported

SECTION = 61440  # bytes per GetMsgBigImg/GetMsgVideo section: what AstrBot, LangBot and the swagger examples ask
FILE_TYPE_ATTACHMENT = 5  # SendCdnDownload's FileType for attachments (a CowAgent-family 869 client's table)
MAX_REF = 4096  # a media_ref longer than this is not one the driver made
ANSWER_SLACK = 64 * 1024  # JSON around the base64 payload
DOWNLOAD_TIMEOUT = 120.0


def ref_for(msg_type: int, app_type: int, msg_id: str, new_msg_id: str, from_id: str, to_id: str,
            body: str) -> str:
    """The ``media_ref`` of a message (JSON), or '' when it carries nothing this driver can fetch."""
    root = xmlsafe.parse(body) if msg_type in (3, 34, 43, 62, 49) else None
    ref: dict[str, Any] | None = None
    if msg_type == 3:
        size = integer(xmlsafe.attr(root, "img", "hdlength")) or integer(xmlsafe.attr(root, "img", "length"))
        ref = {"k": "image", "size": size}
    elif msg_type in (43, 62):
        ref = {"k": "video", "size": integer(xmlsafe.attr(root, "videomsg", "length"))}
    elif msg_type == 34:
        ref = {"k": "voice", "size": integer(xmlsafe.attr(root, "voicemsg", "length")),
               "bufid": xmlsafe.attr(root, "voicemsg", "bufid") or "0"}
    elif msg_type == 49 and app_type == 6:
        url, key = xmlsafe.find_text(root, "appmsg/appattach/cdnattachurl"), \
            xmlsafe.find_text(root, "appmsg/appattach/aeskey")
        if url and key:
            ref = {"k": "file", "size": integer(xmlsafe.find_text(root, "appmsg/appattach/totallen")),
                   "url": url, "aeskey": key}
    if ref is None or root is None:
        return ""
    ref.update(msg_id=integer(msg_id), new_msg_id=new_msg_id, from_id=from_id, to_id=to_id)
    encoded = json.dumps(ref, ensure_ascii=False, separators=(",", ":"))
    return encoded if len(encoded) <= MAX_REF else ""


def _parse_ref(event: MessageEvent) -> dict[str, Any]:
    try:
        ref = json.loads(event.media_ref) if 0 < len(event.media_ref) <= MAX_REF else None
    except ValueError:
        ref = None
    if not isinstance(ref, dict) or ref.get("k") not in ("image", "video", "voice", "file"):
        raise Unsupported("this message has no media the padpro driver can fetch")
    return ref


def _decoded(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(text(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unavailable(f"the gateway's {what} is not base64") from exc


def _answer_cap(max_bytes: int) -> int:
    """The most an answer carrying ``max_bytes`` in base64 may take (twice over: forks repeat the payload)."""
    return 2 * ((max_bytes + 2) // 3 * 4) + ANSWER_SLACK


class _Writer:
    """Counts what goes to the sink; raises ``MediaTooLarge`` before writing past the cap."""

    def __init__(self, sink: BinaryIO, max_bytes: int) -> None:
        self.sink, self.max_bytes, self.written = sink, max_bytes, 0

    def write(self, data: bytes) -> None:
        if self.written + len(data) > self.max_bytes:
            raise MediaTooLarge.over(self.max_bytes)
        self.sink.write(data)
        self.written += len(data)


def download(client: GatewayClient, event: MessageEvent, sink: BinaryIO, max_bytes: int) -> int:
    ref = _parse_ref(event)
    declared = integer(ref.get("size"))
    if declared > max_bytes:
        raise MediaTooLarge.over(max_bytes, declared)
    writer = _Writer(sink, max_bytes)
    try:
        if ref["k"] in ("image", "video"):
            _sections(client, ref, writer)
        elif ref["k"] == "voice":
            data = client.post("/message/GetMsgVoice", {
                "Bufid": text(ref.get("bufid")), "Length": declared, "NewMsgId": text(ref.get("new_msg_id")),
                "ToUserName": text(ref.get("to_id"))}, timeout=DOWNLOAD_TIMEOUT, max_bytes=_answer_cap(max_bytes))
            writer.write(_decoded(pick(data, "Base64", "base64", "Buffer", "buffer",
                                       default=pick(pick(data, "Data", "data", default={}), "Buffer", "buffer")),
                                  "voice"))
        else:
            _cdn_file(client, {"AesKey": text(ref.get("aeskey")), "FileURL": text(ref.get("url")),
                               "FileType": FILE_TYPE_ATTACHMENT}, writer)
    except AnswerTooLarge as exc:
        raise MediaTooLarge.over(max_bytes, exc.details.get("size")) from exc
    if writer.written == 0:
        raise Unavailable("the gateway answered the download with no data")
    return writer.written


def _sections(client: GatewayClient, ref: dict[str, Any], writer: _Writer) -> None:
    """GetMsgBigImg / GetMsgVideo: one section per call until ``TotalLen`` (the gateway's) is reached."""
    path = "/message/GetMsgBigImg" if ref["k"] == "image" else "/message/GetMsgVideo"
    total = 0
    # Each call must move forward; a gateway that never finishes stops at the cap (MediaTooLarge) or here.
    for _ in range(writer.max_bytes // SECTION + 3):
        body = {"MsgId": integer(ref.get("msg_id")), "FromUserName": text(ref.get("from_id")),
                "ToUserName": text(ref.get("to_id")), "TotalLen": total, "CompressType": 0,
                "Section": {"StartPos": writer.written, "DataLen": SECTION}}
        data = client.post(path, body, timeout=DOWNLOAD_TIMEOUT, max_bytes=_answer_cap(SECTION))
        total = integer(pick(data, "TotalLen", "totalLen", default=0))
        if total > writer.max_bytes:
            raise MediaTooLarge.over(writer.max_bytes, total)
        inner = pick(data, "Data", "data", default={})
        chunk = _decoded(pick(inner, "Buffer", "buffer", default=""), "media section")
        if integer(pick(data, "StartPos", "startPos", default=writer.written)) != writer.written:
            raise Unavailable("the gateway answered a different section than the one asked for")
        if not chunk:
            raise Unavailable("the gateway answered an empty section before the end")
        writer.write(chunk)
        if writer.written >= total:
            return
    raise Unavailable("the gateway's sections never reached the announced length")


_FILE_DATA = re.compile(rb'"(?:FileData|fileData)"\s*:\s*"')
_TOTAL = re.compile(rb'"(?:TotalSize|totalSize)"\s*:\s*(\d{1,20})')
_CODE = re.compile(rb'"(?:Code|code)"\s*:\s*(-?\d{1,6})')
HEAD_MAX = 64 * 1024  # where ``FileData`` must start (the envelope's other fields are small)


def _cdn_file(client: GatewayClient, body: dict[str, Any], writer: _Writer) -> None:
    """SendCdnDownload answers the whole file as one base64 string: decoded as it arrives, straight into the sink,
    so the worker holds a chunk, not the file (nor its base64). An answer without ``FileData`` early on (an error,
    an odd shape) is read whole within a small cap and judged like any answer."""
    path = "/message/SendCdnDownload"
    response = client.open("POST", path, body, timeout=DOWNLOAD_TIMEOUT)
    try:
        chunks = response.iter_content(CHUNK)
        head, found = b"", None
        for chunk in chunks:
            head += chunk
            found = _FILE_DATA.search(head)
            if found or len(head) > HEAD_MAX:
                break
        code = _CODE.search(head[:found.start()]) if found else None
        if found is None or (code is not None and int(code.group(1)) != 200):
            for chunk in chunks:  # the same iterator: a response's content can be iterated once
                head += chunk
                if len(head) > 2 * HEAD_MAX:
                    raise Unavailable("the gateway's answer to the file download has no FileData")
            data = client.decode(head, path)  # raises the seam's error for an error answer
            writer.write(_decoded(pick(data, "FileData", "fileData", "Buffer", "buffer", default=""), "file"))
            return
        total = _TOTAL.search(head[:found.start()])
        if total is not None and int(total.group(1)) > writer.max_bytes:
            raise MediaTooLarge.over(writer.max_bytes, int(total.group(1)))
        decoder = _Base64Stream(writer)
        done = decoder.feed(head[found.end():])
        for chunk in chunks:
            if done:
                break
            done = decoder.feed(chunk)
        if not done:
            raise Unavailable("the gateway's file answer broke off")
        decoder.finish()
    except requests.RequestException as exc:
        raise Unavailable(f"the gateway's file answer broke off: {type(exc).__name__}") from exc
    finally:
        response.close()


class _Base64Stream:
    """Base64 text in pieces (up to the closing quote of the JSON string) → bytes written through ``writer``."""

    def __init__(self, writer: _Writer) -> None:
        self.writer, self.pending = writer, b""

    def feed(self, data: bytes) -> bool:
        """True once the closing quote was seen."""
        end = data.find(b'"')
        # JSON may escape '/' as '\/'; a backslash at the end of a piece waits for what follows it.
        text_ = (self.pending + (data if end < 0 else data[:end])).replace(b"\\/", b"/")
        held = b"\\" if text_.endswith(b"\\") else b""
        text_ = text_[:len(text_) - len(held)]
        usable = len(text_) - len(text_) % 4
        if usable:
            self.writer.write(_decoded(text_[:usable].decode("ascii", "replace"), "file"))
        self.pending = text_[usable:] + held
        return end >= 0

    def finish(self) -> None:
        if self.pending:
            raise Unavailable("the gateway's file is not valid base64")
