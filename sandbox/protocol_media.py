"""Web-WeChat media: chunked uploads, sending images/files/emoticons/videos, downloading message media."""

from __future__ import annotations

import json
import re
import secrets
from xml.sax.saxutils import unescape as xml_unescape

from flask import Blueprint, Response, request

from sandbox.core import Sandbox
from sandbox.events import next_msg_id
from sandbox.media import Media, UploadError
from sandbox.protocol_util import (
    answer,
    body,
    find_session,
    live_session,
    rate_limited,
    resolve,
    sandbox,
    unreachable,
)
from sandbox.session import Session

bp = Blueprint("wx_media", __name__, url_prefix="/cgi-bin/mmwebwx-bin")


@bp.post("/webwxuploadmedia")
def webwxuploadmedia() -> Response:
    """One chunk of an upload (itchat sends 512 KB chunks with chunk/chunks form fields when larger)."""
    sb = sandbox()
    try:
        meta = json.loads(request.form.get("uploadmediarequest", ""))
    except ValueError:
        return answer(1, reason="bad uploadmediarequest")
    session, error = live_session(meta)
    if error:
        return error
    # itchat uploads with plain requests.post (no cookies): the form's data ticket is the credential.
    if request.form.get("webwx_data_ticket") != session.data_ticket:
        return answer(1, reason="webwx_data_ticket does not match the session")
    upload = request.files.get("filename")
    if upload is None:
        return answer(1, reason="no file part")
    too_big = upload_refusal(sb, meta, request.form.get("mediatype", ""))
    if too_big:
        return answer(1, reason=too_big)
    data = upload.read()
    try:
        media_id = sb.media.add_chunk(
            session.sid, str(meta.get("ClientMediaId", "")), request.form.get("name") or upload.filename or "",
            int(request.form.get("chunk", 0)), int(request.form.get("chunks", 1)), data,
            int(meta.get("TotalLen", len(data))), str(meta.get("FileMd5", "")))
    except (UploadError, ValueError) as exc:
        return answer(1, reason=str(exc))
    return answer(MediaId=media_id, StartPos=int(meta.get("TotalLen", 0)) if media_id else 0,
                  CDNThumbImgHeight=0, CDNThumbImgWidth=0)


# The web client's limits (wechaty puppet-wechat's uploadMedia, from webwxApp.js): above 25 MB an upload needs the
# Signature webwxcheckupload hands out; files stop at 100 MB, videos at 20 MB.
LARGE_UPLOAD = 25 * 1024 * 1024
MAX_UPLOAD = 100 * 1024 * 1024
MAX_VIDEO = 20 * 1024 * 1024


def upload_refusal(sb: Sandbox, meta: dict, mediatype: str) -> str | None:
    """Why the service refuses this upload, if it does (the Ret is a guess: nothing recorded shows it)."""
    try:
        size = int(meta.get("TotalLen") or meta.get("DataLen") or 0)
    except (TypeError, ValueError):
        return "bad TotalLen"
    if mediatype == "video" and size > MAX_VIDEO:
        return "videos are limited to 20 MB"
    if size > MAX_UPLOAD:
        return "files are limited to 100 MB"
    if size > LARGE_UPLOAD and str(meta.get("Signature") or "") not in sb.media.upload_signatures:
        return "above 25 MB an upload needs the Signature from webwxcheckupload"
    return None


@bp.post("/webwxcheckupload")
def webwxcheckupload() -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    try:
        size = int(data.get("FileSize") or 0)
    except (TypeError, ValueError):
        return answer(1, reason="bad FileSize")
    if size > MAX_UPLOAD:
        return answer(1, reason="files are limited to 100 MB")
    signature = secrets.token_hex(16)
    sandbox().media.upload_signatures.add(signature)
    return answer(Signature=signature, AESKey=secrets.token_hex(16), MediaId="", EntryFileName="")


def _send_media(kind: str, media_id_of=lambda msg: str(msg.get("MediaId", ""))) -> Response:
    data = body()
    session, error = live_session(data)
    if error:
        return error
    sb = sandbox()
    msg = data.get("Msg") or {}
    to_id = resolve(session, str(msg.get("ToUserName", "")))
    if to_id is None:
        return answer(1204, reason="unknown ToUserName")
    refused = unreachable(to_id)
    if refused:
        return refused
    media = sb.media.by_media_id.get(media_id_of(msg))
    if media is None and not (kind == "emoticon" and msg.get("EMoticonMd5")):
        return answer(1, reason="unknown MediaId")
    earlier = sb.delivered_before(msg)
    if earlier:
        return answer(MsgID=earlier, LocalID=str(msg.get("LocalID", "")))
    limited = rate_limited()
    if limited:
        return limited
    details = ({"file_name": media.name, "size": media.size, "md5": media.md5} if media
               else {"md5": str(msg.get("EMoticonMd5"))})
    sb.record(kind, to_id, session, media_id=media_id_of(msg), **details)
    msg_id = str(next_msg_id())
    sb.remember_delivery(msg, msg_id)
    return answer(MsgID=msg_id, LocalID=str(msg.get("LocalID", "")))


def _attach_id(msg: dict) -> str:
    found = re.search(r"<attachid>(.*?)</attachid>", str(msg.get("Content", "")))
    return xml_unescape(found.group(1)) if found else ""


@bp.post("/webwxsendmsgimg")
def webwxsendmsgimg() -> Response:
    return _send_media("image")


@bp.post("/webwxsendemoticon")
def webwxsendemoticon() -> Response:
    return _send_media("emoticon")


@bp.post("/webwxsendvideomsg")
def webwxsendvideomsg() -> Response:
    return _send_media("video")


@bp.post("/webwxsendappmsg")
def webwxsendappmsg() -> Response:
    """Files (appmsg type 6, the attachid is an uploaded MediaId); other app messages are recorded raw."""
    data = body()
    content = str((data.get("Msg") or {}).get("Content", ""))
    if "<type>6</type>" in content:
        return _send_media("file", _attach_id)
    session, error = live_session(data)
    if error:
        return error
    to_id = resolve(session, str((data.get("Msg") or {}).get("ToUserName", "")))
    if to_id is None:
        return answer(1204, reason="unknown ToUserName")
    refused = unreachable(to_id)
    if refused:
        return refused
    limited = rate_limited()
    if limited:
        return limited
    sandbox().record("app", to_id, session, content=content)
    return answer(MsgID=str(next_msg_id()), LocalID="")


def _message_media(session: Session | None) -> Media | None:
    if session is None:
        return None
    raw = request.args.get("msgid") or request.args.get("MsgID") or ""
    return sandbox().media.by_msg_id.get(int(raw)) if raw.isdigit() else None


def _bytes(media: Media | None) -> Response:
    """The media's bytes, streamed chunk by chunk (a generated file of gigabytes is never held in memory)."""
    if media is None:
        return Response(b"", status=404)
    response = Response(media.chunks(), mimetype=media.mime)
    response.headers["Content-Length"] = str(media.size)
    return response


@bp.get("/webwxgetmsgimg")
def webwxgetmsgimg() -> Response:
    return _bytes(_message_media(find_session()))


@bp.get("/webwxgetvoice")
def webwxgetvoice() -> Response:
    return _bytes(_message_media(find_session()))


@bp.get("/webwxgetvideo")
def webwxgetvideo() -> Response:
    """Videos are served with Range support (itchat asks for 'bytes=0-', the real service answers 206)."""
    media = _message_media(find_session())
    if media is None:
        return Response(b"", status=404)
    match = re.match(r"bytes=(\d+)-(\d*)", request.headers.get("Range", ""))
    if not match:
        return _bytes(media)
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else media.size - 1
    part = media.whole()[start: end + 1]  # videos are at most 8 MB (sandbox/inject.py)
    response = Response(part, status=206, mimetype=media.mime)
    response.headers["Content-Range"] = f"bytes {start}-{start + len(part) - 1}/{media.size}"
    return response


@bp.get("/webwxgetmedia")
def webwxgetmedia() -> Response:
    """Attachments: the data ticket (from the login cookie) is what authorises the download."""
    sb = sandbox()
    session = sb.logins.find(data_ticket=request.args.get("webwx_data_ticket", ""))
    if session is None or not session.alive:
        return Response(b"", status=403)
    return _bytes(sb.media.by_media_id.get(request.args.get("mediaid", "")))

