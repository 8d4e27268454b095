"""HTTP to the operator's gateway: one base URL, ``?key=``, timeouts, no redirects, clear errors.

The base URL and key come from the operator's settings. The key goes only to that base URL: redirects
are never followed (a gateway answering 3xx is an error), proxies and .netrc from the environment are
ignored, and the key never appears in an error, a log line or ``repr``.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from drivers.padpro import shapes
from drivers.types import Rejected, Unavailable

logger = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a large account's contact details stay far below this
CHUNK = 64 * 1024


class BadGatewayUrl(ValueError):
    pass


class AnswerTooLarge(Unavailable):
    """The gateway's answer exceeded the bytes the caller allowed (read no further)."""


def read_capped(response: requests.Response, path: str, max_bytes: int) -> bytes:
    """The rest of ``response``, at most ``max_bytes`` (``AnswerTooLarge`` beyond)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(f"the gateway's answer to {path} is too large", details={"size": int(declared)})
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise AnswerTooLarge(f"the gateway's answer to {path} is too large")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise Unavailable(f"the gateway's answer to {path} broke off: {type(exc).__name__}") from exc
    return b"".join(chunks)


def normalize_base_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without credentials, query or fragment (else ``BadGatewayUrl``)."""
    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadGatewayUrl("the gateway URL must be http:// or https:// with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadGatewayUrl("the gateway URL must not carry credentials, a query or a fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class GatewayClient:
    def __init__(self, base_url: str, key: str, *, timeout: float = 15.0, connect_timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        if not key:
            raise BadGatewayUrl("a gateway key is required")
        self.base_url = normalize_base_url(base_url)
        self._key = key
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.http = session or requests.Session()
        self.http.trust_env = False  # no proxy or .netrc from the environment sees the key

    def __repr__(self) -> str:
        return f"GatewayClient({self.base_url!r}, key=***)"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             timeout: float | None = None, max_bytes: int = MAX_RESPONSE_BYTES) -> Any:
        """``Data`` of the answer to ``method path``; seam errors otherwise (see ``shapes.envelope``).

        The answer is read in chunks and abandoned past ``max_bytes`` (``AnswerTooLarge``): a gateway (or a
        download it relays) never makes the worker hold more than that."""
        response = self.open(method, path, body, timeout=timeout)
        try:
            content = read_capped(response, path, max_bytes)
        finally:
            response.close()
        return self.decode(content, path)

    def open(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             timeout: float | None = None) -> requests.Response:
        """The streamed answer of a successful HTTP exchange (the caller reads and closes it); seam errors for
        a gateway that cannot be reached, redirects, refuses the key or fails."""
        if not path.startswith("/") or "?" in path or "//" in path:
            raise ValueError(f"bad gateway path {path!r}")
        try:
            response = self.http.request(
                method, self.base_url + path, params={"key": self._key},
                json=body if method != "GET" else None, allow_redirects=False, stream=True,
                timeout=(self.connect_timeout, timeout or self.timeout))
        except requests.Timeout as exc:
            raise Unavailable(f"the gateway did not answer {path} in time") from exc
        except requests.RequestException as exc:
            raise Unavailable(f"cannot reach the gateway for {path}: {type(exc).__name__}") from exc
        try:
            if 300 <= response.status_code < 400:
                raise Unavailable(f"the gateway answered {path} with a redirect ({response.status_code}); not followed")
            if response.status_code in (401, 403):
                raise Rejected(f"the gateway refused the key on {path} (HTTP {response.status_code})",
                               code=response.status_code)
            if response.status_code >= 400:
                raise Unavailable(f"the gateway answered {path} with HTTP {response.status_code}",
                                  code=response.status_code)
        except BaseException:
            response.close()
            raise
        return response

    @staticmethod
    def decode(content: bytes, path: str) -> Any:
        try:
            payload = json.loads(content)
        except ValueError as exc:
            raise Unavailable(f"the gateway's answer to {path} is not JSON") from exc
        return shapes.envelope(payload)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body or {}, **kwargs)

    def ws_url(self, path: str = "/ws/GetSyncMsg") -> str:
        """The WebSocket URL on the same host (ws:// for http, wss:// for https)."""
        scheme = "wss" if self.base_url.startswith("https://") else "ws"
        return f"{scheme}://{self.base_url.split('://', 1)[1]}{path}?key={quote(self._key, safe='')}"

    def close(self) -> None:
        self.http.close()
