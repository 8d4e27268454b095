"""Gateway face: received media (image, voice, video, file) as the 8059-era API serves it, file uploads, avatars.

Media messages carry the handles the real gateway's XML carries (``aeskey``, ``cdnmidimgurl``/``cdnvideourl``/
``cdnattachurl``, ``<voicemsg bufid>``), and the download endpoints answer from the same media store the web
face's ``webwxgetmsgimg``/``webwxgetmedia`` serve, so both faces give the same bytes:

- ``GetMsgBigImg`` / ``GetMsgVideo``: one section per call (``Section.StartPos``/``DataLen``), the answer's
  ``Data`` with ``TotalLen``, ``StartPos``, ``DataLen`` and ``Data.Buffer`` + ``Data.buffer`` + ``Data.iLen``
  (AstrBot reads ``Buffer``, another recorded client ``buffer``/``iLen``; both given).
- ``GetMsgVoice``: ``Data.Base64`` (AstrBot) and ``Data.Buffer``, the whole voice.
- ``SendCdnDownload``: ``Data.FileData`` (base64) + ``Data.TotalSize`` (the CowAgent-family 869 clients),
  streamed: a generated file of gigabytes is never held in memory.
- ``/other/UploadAppAttach``: ``{"fileData": base64}`` → ``mediaId``, ``totalLen`` (the CowAgent-family 869
  ``send_file_message``), then ``SendAppMessage`` with a type-6 appmsg naming that ``attachid`` sends the file.
- head images at ``/avatar/<wxid>.png`` on the face's own origin, without the key (like the real CDN URLs).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from flask import Response, request

from sandbox.events import Message
from sandbox.gateway.ids import wxid_of
from sandbox.gateway.web import body, bp, envelope, gateway, ok, refused, require_live, sandbox
from sandbox.media import Media, avatar_png, guess_mime
from sandbox.world import World

CDN_PREFIX = "3057020100044b30490201000204"  # the shape of real CDN file ids; the message id follows in hex
MAX_SECTION = 1024 * 1024
MAX_UPLOAD = 100 * 1024 * 1024  # the web face's file limit (protocol_media.MAX_UPLOAD)
SHORT_ID = 2_000_000_000  # render.message's msg_id is new_msg_id modulo this
FILE_APP_TYPE = 6


def _digest(world: World, msg_id: int, what: str) -> str:
    return hashlib.sha256(f"{what}:{world.uin}:{msg_id}".encode()).hexdigest()


def aes_key(world: World, msg_id: int) -> str:
    return _digest(world, msg_id, "aes")[:32]


def cdn_url(msg_id: int) -> str:
    return f"{CDN_PREFIX}{msg_id:x}"


def buf_id(world: World, msg_id: int) -> str:
    return str(int(_digest(world, msg_id, "buf")[:12], 16))


def media_body(world: World, msg: Message, media: Media | None) -> str | None:
    """The gateway's XML for a media message (None: not a media message this face serves)."""
    if media is None:
        return None
    key, url, size, md5 = aes_key(world, msg.msg_id), cdn_url(msg.msg_id), media.size, media.md5
    if msg.msg_type == 3:
        return (f'<msg><img aeskey="{key}" encryver="1" cdnthumbaeskey="{key}" cdnthumburl="{url}" '
                f'cdnthumblength="{min(size, 4096)}" cdnthumbheight="32" cdnthumbwidth="32" cdnmidheight="0" '
                f'cdnmidwidth="0" cdnhdheight="0" cdnhdwidth="0" cdnmidimgurl="{url}" length="{size}" '
                f'hdlength="{size}" md5="{md5}" /></msg>')
    if msg.msg_type == 34:
        return (f'<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="3000" '
                f'length="{size}" bufid="{buf_id(world, msg.msg_id)}" aeskey="{key}" voiceurl="{url}" '
                f'clientmsgid="" fromusername="" /></msg>')
    if msg.msg_type == 43:
        return (f'<msg><videomsg aeskey="{key}" cdnthumbaeskey="{key}" cdnvideourl="{url}" cdnthumburl="{url}" '
                f'length="{size}" playlength="5" cdnthumblength="0" md5="{md5}" /></msg>')
    if msg.msg_type == 49 and msg.app_msg_type == FILE_APP_TYPE:
        name = msg.file_name or media.name
        ext = name.rsplit(".", 1)[-1] if "." in name else ""
        return (f'<msg><appmsg appid="" sdkver="0"><title>{xml_escape(name)}</title><des></des><action></action>'
                f"<type>6</type><showtype>0</showtype><content></content><url></url>"
                f"<appattach><totallen>{size}</totallen><attachid>{xml_escape(msg.media_id)}</attachid>"
                f"<fileext>{xml_escape(ext)}</fileext><cdnattachurl>{url}</cdnattachurl><aeskey>{key}</aeskey>"
                f"<encryver>1</encryver></appattach><md5>{md5}</md5></appmsg></msg>")
    return None


def message_media(msg_id: int) -> Media | None:
    return sandbox().media.by_msg_id.get(msg_id)


def _media_messages() -> dict[int, Message]:
    """Media messages of the log by short and by full id, indexed incrementally (the log only grows; a reset
    starts a new one)."""
    state, sb = gateway(), sandbox()
    entries = sb.log.entries
    if state.media_log is not entries:
        state.media_log, state.media_scanned, state.media_msgs = entries, 0, {}
    for entry in entries[state.media_scanned:]:
        if isinstance(entry, Message) and entry.msg_id in sb.media.by_msg_id:
            state.media_msgs[entry.msg_id] = entry
            state.media_msgs[entry.msg_id % SHORT_ID] = entry
    state.media_scanned = len(entries)
    return state.media_msgs


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 30 else None


def _visible(msg_id: int, data: dict[str, Any], types: tuple[int, ...]) -> Media | None:
    """The media of the message ``msg_id`` (short or full) names, when it is of ``types`` and FromUserName/
    ToUserName name its two ends (the real gateway looks the message up by those), else None."""
    entry = _media_messages().get(msg_id)
    if entry is None or entry.msg_type not in types:
        return None
    world = sandbox().world
    ends = {wxid_of(world, entry.from_id), wxid_of(world, entry.to_id)}
    given = {str(data.get("FromUserName") or ""), str(data.get("ToUserName") or "")}
    return message_media(entry.msg_id) if given <= ends else None


def _section(media: Media, start: int, length: int) -> bytes:
    """Bytes ``start..start+length`` of the media, reading only the blocks that hold them."""
    out, offset = [], 0
    for chunk in media.chunks():
        end = offset + len(chunk)
        if end > start and offset < start + length:
            out.append(chunk[max(0, start - offset): start + length - offset])
        if end >= start + length:
            break
        offset = end
    return b"".join(out)


def _sectioned(types: tuple[int, ...]) -> Response:
    require_live()
    data = body()
    short = _int(data.get("MsgId"))
    media = _visible(short, data, types) if short is not None else None
    if media is None:
        return refused("unknown MsgId for these FromUserName/ToUserName")
    section = data.get("Section") if isinstance(data.get("Section"), dict) else {}
    start, length = _int(section.get("StartPos")) or 0, _int(section.get("DataLen")) or 61440
    if start > media.size:
        return refused("StartPos beyond the data")
    chunk = _section(media, start, min(length, MAX_SECTION))
    encoded = base64.b64encode(chunk).decode()
    return ok({"BaseResponse": {"ret": 0, "errMsg": {}}, "MsgId": short, "TotalLen": media.size,
               "StartPos": start, "DataLen": len(chunk),
               "Data": {"iLen": len(chunk), "Buffer": encoded, "buffer": encoded}})


@bp.post("/message/GetMsgBigImg")
def get_msg_big_img() -> Response:
    return _sectioned((3,))


@bp.post("/message/GetMsgVideo")
def get_msg_video() -> Response:
    return _sectioned((43, 62))


@bp.post("/message/GetMsgVoice")
def get_msg_voice() -> Response:
    require_live()
    data, sb = body(), sandbox()
    msg_id = _int(data.get("NewMsgId"))
    media = message_media(msg_id) if msg_id is not None else None
    if media is None or str(data.get("Bufid") or "") != buf_id(sb.world, msg_id):
        return refused("unknown NewMsgId/Bufid")
    encoded = base64.b64encode(media.whole()).decode()  # voices are small (sandbox/inject.py)
    return ok({"BaseResponse": {"ret": 0, "errMsg": {}}, "NewMsgId": msg_id, "Length": media.size,
               "Base64": encoded, "Buffer": encoded})


def _b64_stream(media: Media) -> Iterator[str]:
    """Base64 of the media, chunk by chunk (3-byte aligned, so the pieces join into one valid string)."""
    rest = b""
    for chunk in media.chunks():
        data = rest + chunk
        cut = len(data) - len(data) % 3
        yield base64.b64encode(data[:cut]).decode()
        rest = data[cut:]
    if rest:
        yield base64.b64encode(rest).decode()


@bp.post("/message/SendCdnDownload")
def send_cdn_download() -> Response:
    require_live()
    data, sb = body(), sandbox()
    url, key = str(data.get("FileURL") or ""), str(data.get("AesKey") or "")
    match = re.fullmatch(re.escape(CDN_PREFIX) + r"([0-9a-f]{1,24})", url)
    msg_id = int(match.group(1), 16) if match else None
    media = message_media(msg_id) if msg_id is not None else None
    if media is None or key != aes_key(sb.world, msg_id):
        return refused("unknown FileURL/AesKey")
    head = f'{{"Code": 200, "Text": "", "Data": {{"TotalSize": {media.size}, "FileData": "'
    response = Response((part for chunks in ([head], _b64_stream(media), ['"}}']) for part in chunks),
                        mimetype="application/json")
    response.headers["Content-Length"] = str(len(head) + (media.size + 2) // 3 * 4 + 3)
    return response


@bp.post("/other/UploadAppAttach")
def upload_app_attach() -> Response:
    require_live()
    raw = body().get("fileData")
    try:
        data = base64.b64decode(raw if isinstance(raw, str) else "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or len(data) > MAX_UPLOAD:
        return envelope(-1, None, "fileData must be base64 of 1 byte .. 100 MB")
    media_id = sandbox().media.put(Media(data, "", guess_mime("")))
    return ok({"BaseResponse": {"ret": 0, "errMsg": {}}, "mediaId": media_id, "totalLen": len(data),
               "aesKey": "", "fileKey": media_id})


def sent_file(content_xml: str) -> Media | None:
    """The uploaded media a type-6 appmsg's ``attachid`` names (and the file name its title gives), else None."""
    found = re.search(r"<attachid>(.*?)</attachid>", content_xml)
    title = re.search(r"<title>(.*?)</title>", content_xml, re.S)
    media = sandbox().media.by_media_id.get(found.group(1)) if found else None
    if media is not None and title:
        from xml.sax.saxutils import unescape

        media.name = unescape(title.group(1))[:255]
    return media


def avatar_url(world: World, entity_id: str) -> str:
    """Head image URL on this face's own origin (no key in it: the real ones are public CDN URLs)."""
    return f"{request.host_url}avatar/{wxid_of(world, entity_id)}.png"


@bp.get("/avatar/<wxid>.png")
def avatar(wxid: str) -> Response:
    world = sandbox().world
    entity_id = gateway().index.entity_of(world, wxid[:80])
    if entity_id is None:
        return Response(b"", status=404)
    return Response(avatar_png(f"{world.uin}:{entity_id}"), mimetype="image/png")

