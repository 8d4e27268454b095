"""Gateway face: auth keys (``/admin``), QR login, login status, logout."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, request

from sandbox.gateway.ids import wxid_of
from sandbox.gateway.state import GatewaySession
from sandbox.gateway.web import (
    body,
    bp,
    envelope,
    gateway,
    key_state,
    ok,
    require_live,
    sandbox,
)
from sandbox.media import qr_png
from sandbox.session import CONFIRMED, EXPIRED, RET_KICKED, RET_LOGGED_OUT, SCANNED, WAITING
from sandbox.world import SELF_ID

LOGIN_STATES = {WAITING: 0, SCANNED: 1, CONFIRMED: 2, EXPIRED: -2}


@bp.post("/admin/GenAuthKey1")
def gen_auth_key1() -> Response:
    count = body().get("Count", 1)
    if not isinstance(count, int) or not 1 <= count <= 100:
        return envelope(-1, None, "Count must be 1..100")
    return ok(gateway().mint(count))  # a bare list: AstrBot and LangBot both read it


@bp.get("/admin/GenAuthKey2")
def gen_auth_key2() -> Response:
    return ok(gateway().mint(1))


@bp.post("/login/GetLoginQrCodeNew")
@bp.post("/login/GetLoginQrCodeNewX")
def get_login_qr() -> Response:
    attempt = sandbox().logins.new_attempt()
    key_state().attempt_uuid = attempt.uuid
    payload = "http://weixin.qq.com/x/" + attempt.uuid
    return ok({"Key": request.args.get("key", ""), "Txt": "建议返回data=之后内容自定义生成二维码",
               "QrCodeUrl": f"{request.url_root}login/qrcode.png?data={payload}",
               "baseResp": {"ret": 0, "errMsg": {}}})


@bp.get("/login/qrcode.png")
def qrcode() -> Response:
    return Response(qr_png(request.args.get("data", "")[:200]), mimetype="image/png")


def _start_session() -> GatewaySession:
    sb, state = sandbox(), gateway()
    # One pad device per account: a new gateway login pushes any other gateway login out (web logins stay).
    for other in state.keys.values():
        if other.session is not None and other.session.alive:
            other.session.ended = RET_KICKED
    session = GatewaySession(sb.world, state.index, sb.log.position)
    sb.logins.sessions[session.sid] = session
    key_state().session = session
    sb.log.notify()
    return session


@bp.get("/login/CheckLoginStatus")
def check_login_status() -> Response:
    sb = sandbox()
    attempt = sb.logins.attempt(key_state().attempt_uuid) if key_state().attempt_uuid else None
    if attempt is None:
        return envelope(300, None, "不存在状态")
    data: dict[str, Any] = {"uuid": attempt.uuid, "state": LOGIN_STATES[attempt.state],
                            "expiredTime": max(0, int(sb.logins.qr_ttl - (time.time() - attempt.created)))}
    if attempt.state == CONFIRMED:
        session = key_state().session
        if not attempt.used or session is None:
            attempt.used = True
            session = _start_session()
        data.update(wxid=wxid_of(sb.world, SELF_ID), nick_name=sb.world.account.nick_name,
                    wxnewpass=session.pass_ticket, head_img_url="")
    return ok(data)


@bp.get("/login/GetLoginStatus")
def get_login_status() -> Response:
    session = require_live()
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(session.created))
    return ok({"loginState": 1, "loginErrMsg": "账号在线状态良好！", "loginTime": started,
               "loginJournal": {"count": 0, "logs": []}, "onlineDays": 0, "proxyUrl": "", "targetIp": "",
               "expiryTime": ""})


@bp.route("/login/LogOut", methods=["GET", "POST"])
def log_out() -> Response:
    session = require_live()
    session.ended = RET_LOGGED_OUT
    sandbox().record("logout", variant=session.variant)
    sandbox().log.notify()  # wake the WebSocket loop: it closes the socket now
    return ok(None)
