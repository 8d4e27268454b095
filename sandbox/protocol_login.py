"""Web-WeChat login: QR uuid (jslogin), QR image, the login poll, webwxnewloginpage (web and uos variants)."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from sandbox.core import Sandbox
from sandbox.media import avatar_png, qr_png
from sandbox.session import CODES, CONFIRMED, EXPIRED, SCANNED, WAITING

bp = Blueprint("wx_login", __name__)
REFUSED_MESSAGE = ("当前登录环境异常。为了你的帐号安全，暂时不能登录web微信。"
                   "你可以通过手机客户端或者windows微信登录。")


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def _js(text: str) -> Response:
    return Response(text, mimetype="text/javascript")


def _xml(body: str) -> Response:
    return Response(f"<error>{body}</error>", mimetype="text/plain")


@bp.get("/")
def index() -> Response:
    # itchat's auto_login first checks it can reach BASE_URL at all.
    return Response("web-WeChat sandbox\n", mimetype="text/plain")


@bp.get("/jslogin")
def jslogin() -> Response:
    attempt = sandbox().logins.new_attempt()
    # Desktop (UOS) clients ask for a redirect_uri carrying mod=desktop (why2lyj/ItChat-UOS, itchat-desktop).
    attempt.desktop = "mod=desktop" in request.args.get("redirect_uri", "")
    return _js(f'window.QRLogin.code = 200; window.QRLogin.uuid = "{attempt.uuid}";')


@bp.get("/qrcode/<uuid>")
def qrcode(uuid: str) -> Response:
    return Response(qr_png("https://login.weixin.qq.com/l/" + uuid), mimetype="image/png")


@bp.get("/cgi-bin/mmwebwx-bin/webwxpushloginurl")
def push_login() -> Response:
    """Login without a new scan: the phone only has to confirm (needs the wxuin cookie's uin)."""
    sb = sandbox()
    if request.args.get("uin") != str(sb.world.uin):
        return Response('{"ret":"1","msg":"uin error"}', mimetype="application/json")
    attempt = sb.logins.new_attempt()
    attempt.move(SCANNED)
    attempt.reported = "201"  # the client never sees a 201 for a push login, it waits for 200
    return Response(f'{{"ret":"0","msg":"all ok","uuid":"{attempt.uuid}"}}', mimetype="application/json")


@bp.get("/cgi-bin/mmwebwx-bin/login")
def login_poll() -> Response:
    """Long poll: answers at once when the state changed since the last answer, else after the timeout."""
    sb = sandbox()
    uuid = request.args.get("uuid", "")
    attempt = sb.logins.attempt(uuid)
    if attempt is None:
        return _js("window.code=400;")
    if CODES[attempt.state] == attempt.reported and attempt.state in (WAITING, SCANNED):
        remaining = sb.logins.qr_ttl - (time.time() - attempt.created)
        attempt.changed.wait(max(0.0, min(sb.settings.login_poll_timeout, remaining)))
        attempt = sb.logins.attempt(uuid)
        if attempt is None:  # the world was reset while this poll waited (a test's next world): the code is gone
            return _js("window.code=400;")
    code = CODES[attempt.state]
    attempt.reported = code
    if attempt.state == SCANNED:
        avatar = base64.b64encode(avatar_png("self")).decode()
        return _js(f"window.code=201;window.userAvatar = 'data:img/jpg;base64,{avatar}';")
    if attempt.state == CONFIRMED:
        # Point back at this sandbox, as the client addressed it: everything after login follows this host.
        mod = "mod=desktop&" if attempt.desktop else ""
        redirect = (f"{request.url_root}cgi-bin/mmwebwx-bin/webwxnewloginpage?{mod}ticket={attempt.ticket}"
                    f"&uuid={attempt.uuid}&lang=zh_CN&scan={int(time.time())}")
        return _js(f'window.code=200;\nwindow.redirect_uri="{redirect}";')
    if attempt.state == EXPIRED:
        return _js("window.code=400;")
    return _js(f"window.code={code};")


def _is_uos() -> bool:
    """The desktop (uos) variant: mod=desktop in the URL (from jslogin's redirect_uri, or appended as ItChat-UOS
    does with fun=new&version=v2) plus the desktop client's headers."""
    headers = request.headers
    return ("desktop" in request.args.getlist("mod")
            and headers.get("client-version") == "2.0.0" and bool(headers.get("extspam")))


def _refused(shape: str) -> Response:
    """A refused web login, in the shape Settings.refusal names (see docs/SANDBOX.md for the sources)."""
    if shape == "html":
        return Response(f"<!DOCTYPE html><html><head><title>微信</title></head><body><p>{REFUSED_MESSAGE}</p>"
                        "</body></html>", mimetype="text/html")
    if shape == "301":
        return Response("", status=301)  # no Location: nothing to follow
    return _xml(f"<ret>1203</ret><message>{REFUSED_MESSAGE}</message>")


@bp.get("/cgi-bin/mmwebwx-bin/webwxnewloginpage")
def new_login_page() -> Response:
    sb = sandbox()
    attempt = sb.logins.by_ticket.get(request.args.get("ticket", ""))
    if attempt is None or attempt.uuid != request.args.get("uuid") or attempt.state != CONFIRMED or attempt.used:
        return _xml("<ret>-14</ret><message>ticket error</message>")
    uos = _is_uos()
    refusal = sb.settings.refusal if sb.world.web_login_refused else ""
    if refusal and refusal != "1102" and not uos:
        return _refused(refusal)
    attempt.used = True
    session = sb.logins.start_session("uos" if uos else "web", sb.world.uin, sb.log.position)
    session.refused_1102 = refusal == "1102"  # logs in, then its first synccheck ends it
    # The uos answer leaves wxsid/wxuin out of the body: that client reads them from the cookies.
    ids = "" if uos else f"<wxsid>{session.sid}</wxsid><wxuin>{session.uin}</wxuin>"
    response = _xml(f"<ret>0</ret><message></message><skey>{session.skey}</skey>{ids}"
                    f"<pass_ticket>{quote(session.pass_ticket, safe='')}</pass_ticket><isgrayscale>1</isgrayscale>")
    for name, value in (("wxuin", str(session.uin)), ("wxsid", session.sid),
                        ("webwx_data_ticket", session.data_ticket), ("webwxuvid", session.sid[:8]),
                        ("mm_lang", "zh_CN"), ("wxloadtime", str(int(time.time())))):
        response.set_cookie(name, value, path="/")
    return response
