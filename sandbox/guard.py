"""Who may use `/_sandbox/...`: one check for the control API and the phone page, whatever blueprint serves them.

The control API rewrites the world and reads everything the bot sent, so being reachable on loopback is not
enough: a web page the operator visits can make the browser POST to http://127.0.0.1:8200 (a cross-site
`text/plain` request needs no CORS preflight), and a DNS-rebinding page can even read the answers. Hence:
- the client address is loopback;
- the `Host` header names loopback (127.0.0.1, localhost, [::1], any port): a rebinding page says evil.example;
- every control call carries the process's token in `X-Sandbox-Token` (a page cannot set that header on a
  cross-site request without a preflight, which the sandbox never answers); the token is written to a 0600 file
  at start (`--token-file`, default `$INSTANCE_PATH/sandbox_token`), where local tools and tests read it;
- a control call with a body is `application/json`, which no HTML form can send.
The phone page (`/_sandbox/phone`) is for a human with a browser: same address and Host rules, and its forms carry
the page's own form token (sandbox/phone.py) instead of the header.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import Response, current_app, jsonify, request

PREFIX = "/_sandbox"
PHONE_PREFIX = "/_sandbox/phone"
TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_CONFIG = "SANDBOX_CONTROL_TOKEN"
LOOPBACK_HOST = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?", re.IGNORECASE)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_loopback(addr: str | None) -> bool:
    return bool(addr) and (addr.startswith("127.") or addr in ("::1", "::ffff:127.0.0.1"))


def is_loopback_host(host: str | None) -> bool:
    """A Host header that names this machine's loopback: `127.0.0.1`, `localhost` or `[::1]`, with any port."""
    return bool(host) and LOOPBACK_HOST.fullmatch(host) is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_token_file(path: Path, token: str) -> None:
    """Publish the token in `path` with mode 0600, atomically (a reader never sees half a token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def default_token_file() -> Path:
    return Path(os.environ.get("INSTANCE_PATH") or "instance") / "sandbox_token"


def guard_sandbox_routes() -> Response | None:
    """before_request for the whole sandbox app: applies to every path under /_sandbox."""
    path = request.path
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None  # the web-WeChat protocol routes: any client, as the real service
    if not is_loopback(request.remote_addr):
        return _refuse(403, "the sandbox control API only answers loopback clients")
    if not is_loopback_host(request.headers.get("Host")):
        return _refuse(403, "the sandbox control API only answers requests for a loopback host name")
    if path == PHONE_PREFIX or path.startswith(PHONE_PREFIX + "/"):
        return None  # the phone page checks its own form token (sandbox/phone.py)
    token = request.headers.get(TOKEN_HEADER, "")
    if not secrets.compare_digest(token.encode(), current_app.config[TOKEN_CONFIG].encode()):
        return _refuse(401, f"missing or wrong {TOKEN_HEADER} header (the token is in the sandbox's token file)")
    if request.method in BODY_METHODS and request.mimetype != "application/json":
        return _refuse(415, "control calls take an application/json body")
    return None


def _refuse(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response
