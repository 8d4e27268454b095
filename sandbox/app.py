"""Flask app factory for the sandbox and its gevent server."""

from __future__ import annotations

import dataclasses
import logging

import gevent
from flask import Flask, Response, request

from sandbox import accounts as accounts_module
from sandbox import control, gateway, guard, phone, protocol, protocol_login, protocol_media
from sandbox.core import Sandbox, Settings
from sandbox.seeding import WorldSpec

logger = logging.getLogger(__name__)
PROTOCOL_BLUEPRINTS = {"wx", "wx_login", "wx_media", "gateway", "gateway_ws"}  # faults hit both faces


def create_app(spec: WorldSpec | None = None, settings: Settings | None = None, token: str | None = None,
               accounts: int = 0, mount_accounts: bool = True) -> Flask:
    """The sandbox app; tests can drive it with Flask's test client (e.g. to check the loopback rule).

    `token` is what control calls must send in X-Sandbox-Token (sandbox/guard.py); a fresh one when not given,
    readable as `app.config["SANDBOX_CONTROL_TOKEN"]`. `accounts`: further accounts a1..aN, each a world of its
    own under /a/<name>/ (sandbox/accounts.py); more can be added with POST /_sandbox/accounts.
    """
    spec = spec or WorldSpec()
    settings = settings or Settings()
    app = Flask(__name__)
    app.json.ensure_ascii = False  # nick names are Unicode; keep the control API readable
    app.json.sort_keys = False
    app.config[guard.TOKEN_CONFIG] = token or guard.new_token()
    app.config["SANDBOX_START_SPEC"] = spec
    app.config["SANDBOX_START_SETTINGS"] = dataclasses.replace(settings)
    app.extensions["sandbox"] = Sandbox(settings=dataclasses.replace(settings), spec=spec)
    for blueprint in (protocol_login.bp, protocol.bp, protocol_media.bp, control.bp, phone.bp):
        app.register_blueprint(blueprint)
    gateway.register(app)  # the WeChatPadPro-style face on the same world (sandbox/gateway/)
    app.before_request(guard.guard_sandbox_routes)  # first: nothing under /_sandbox runs for a refused caller
    app.before_request(_inject_faults)
    if mount_accounts:
        settings_copy, token_copy = dataclasses.replace(settings), app.config[guard.TOKEN_CONFIG]
        dispatcher = accounts_module.mount(app, lambda account_spec: create_app(
            account_spec, dataclasses.replace(settings_copy), token=token_copy, mount_accounts=False))
        for number in range(1, accounts + 1):
            dispatcher.add(f"a{number}")
    return app


def _inject_faults() -> Response | None:
    """Faults apply to the web-WeChat routes only, so the control API stays usable to switch them off."""
    if request.blueprint not in PROTOCOL_BLUEPRINTS:
        return None
    faults = control.sandbox().faults
    mode = faults.active()
    if mode == "http_500":
        return Response("sandbox fault: http_500", status=500)
    if mode == "slow":
        gevent.sleep(faults.seconds)
    elif mode == "drop":
        return Response(_dropped(), headers={"Content-Length": "1024"}, mimetype="text/plain")
    return None


def _dropped():
    # Headers go out with the first chunk, then the connection dies mid-body: the client sees a broken
    # connection instead of an answer.
    yield b"x"
    raise ConnectionAbortedError("sandbox fault: drop")


def serve(app: Flask, host: str, port: int) -> None:
    import socket

    from gevent import socket as gsocket
    from gevent.pywsgi import WSGIServer

    listener = gsocket.socket(gsocket.AF_INET6 if ":" in host else gsocket.AF_INET, gsocket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY: without it a reused keep-alive connection waits ~40 ms per
    # answer (Nagle holding the body until the client's delayed ACK of the headers).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, port))
    listener.listen(1024)
    server = WSGIServer(listener, app, log=None, error_log=logger)
    logger.info("web-WeChat sandbox on http://%s:%s (phone: /_sandbox/phone)", host, port)
    server.serve_forever()
