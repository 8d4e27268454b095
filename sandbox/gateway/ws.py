"""``/ws/GetSyncMsg?key=…``: every new message of the key's session, one JSON text frame each.

Served by flask-sock (simple-websocket over wsproto) inside the sandbox's gevent server. The sandbox
does not monkey-patch, so simple-websocket's reader "thread" and event are given gevent equivalents.
"""

from __future__ import annotations

import errno
import json

import gevent
from flask import Blueprint, Flask, Response, g, request
from flask_sock import Sock
from gevent.event import Event

from sandbox.events import Message
from sandbox.gateway import render, web
from sandbox.protocol_util import expire_if_old

bp = Blueprint("gateway_ws", __name__)
sock = Sock()
IDLE_WAIT = 10.0  # seconds between checks for a closed client or an ended session when nothing happens
BATCH = 100
CLOSE_NORMAL, CLOSE_LOGGED_OUT = 1000, 4001


class _GreenletThread:
    """The slice of ``threading.Thread`` simple-websocket uses, on a greenlet."""

    def __init__(self, target) -> None:
        self.name = "gateway-ws(_thread)"
        self.daemon = True
        self._target = target

    def start(self) -> None:
        gevent.spawn(self._target)


@bp.before_request
def check_key() -> Response | None:
    key = request.args.get("key", "")
    state = web.gateway()
    if key not in state.keys:
        response = web.envelope(-2, None, "该 key 无效")
        response.status_code = 401  # refuse the upgrade: the client sees a clear handshake failure
        return response
    g.key_state = state.keys[key]
    return None


@sock.route("/ws/GetSyncMsg", bp=bp)
def get_sync_msg(ws) -> None:
    try:
        _push(ws)
    finally:
        _end_connection(ws)


def _end_connection(ws) -> None:
    if ws.connected:
        ws.close(CLOSE_NORMAL)


def _drop_after_websocket(wsgi_app):
    """gevent would read the client's last frames as a new HTTP request once the WebSocket is over (and
    log 'Invalid HTTP method'). An upgrade answered without an HTTP response ends with a reset instead,
    which gevent takes as "close this connection" and does not log."""

    def app(environ, start_response):
        started = []

        def tracking_start_response(*args, **kwargs):
            started.append(True)
            return start_response(*args, **kwargs)

        result = wsgi_app(environ, tracking_start_response)
        if not started and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            raise ConnectionResetError(errno.ECONNRESET, "WebSocket finished")
        return result

    return app


def _push(ws) -> None:
    sb = web.sandbox()
    session, _ = web.live()
    if session is None:
        ws.close(CLOSE_LOGGED_OUT, web.LOGGED_OUT_TEXT)
        return
    while ws.connected:
        log = sb.log
        expire_if_old(session)  # a session past its lifetime ends: the socket closes like at a logout
        if not session.alive or session.world is not sb.world:
            ws.close(CLOSE_LOGGED_OUT, web.LOGGED_OUT_TEXT)
            return
        notify = session.take_status_notify()
        if notify is not None:
            ws.send(json.dumps(notify, ensure_ascii=False))
        start = session.position
        entries = log.since(start, BATCH)
        for offset, entry in enumerate(entries):
            if isinstance(entry, Message):
                ws.send(json.dumps(render.message(sb.world, entry, start + offset + 1), ensure_ascii=False))
            # Advance only past what was handed to the socket: a connection that died while it waited must
            # leave its messages to the next connection (or HttpSyncMsg), not swallow them.
            session.position = start + offset + 1
        if not entries:
            log.wait(IDLE_WAIT)
            # Let the reader greenlet see a close (FIN) that arrived meanwhile, before writing into a dead
            # connection: a sleep(0) would not poll the socket, a millisecond goes through the event loop.
            gevent.sleep(0.001)


def register(app: Flask) -> None:
    app.config.setdefault("SOCK_SERVER_OPTIONS", {
        "thread_class": _GreenletThread, "event_class": Event, "max_message_size": 64 * 1024})
    app.register_blueprint(bp)
    app.wsgi_app = _drop_after_websocket(app.wsgi_app)


