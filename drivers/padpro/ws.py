"""A small blocking WebSocket client on wsproto: connect and read timeouts, a message size cap, pings.

Blocking sockets work both in threads and under gevent's monkey-patching (the Celery worker's pool).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections import deque
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

MAX_MESSAGE = 4 * 1024 * 1024
READ_SIZE = 65536


class WsError(Exception):
    """Connecting failed or the connection broke; ``status`` is the HTTP status of a refused handshake."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class WsConnection:
    def __init__(self, sock: socket.socket, conn: WSConnection, max_message: int) -> None:
        self._sock = sock
        self._conn = conn
        self._max = max_message
        self._ready: deque[str] = deque()
        self._partial: list[str] = []
        self._partial_size = 0
        self.closed = False
        self._close_error: WsError | None = None

    @classmethod
    def connect(cls, url: str, timeout: float = 10.0, max_message: int = MAX_MESSAGE) -> WsConnection:
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise WsError("not a ws:// or wss:// URL")
        port = parts.port or (443 if secure else 80)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            sock = socket.create_connection((parts.hostname, port), timeout=timeout)
            if secure:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        except OSError as exc:
            raise WsError(f"cannot connect to the gateway's WebSocket: {type(exc).__name__}") from exc
        conn = WSConnection(ConnectionType.CLIENT)
        self = cls(sock, conn, max_message)
        try:
            sock.sendall(conn.send(Request(host=parts.netloc, target=target)))
            self._handshake(time.monotonic() + timeout)
        except BaseException:
            sock.close()
            raise
        return self

    def _handshake(self, deadline: float) -> None:
        status = None
        while True:
            for event in self._conn.events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection):
                    status = event.status_code
                    if not event.has_body:
                        raise WsError(f"the gateway refused the WebSocket (HTTP {status})", status=status)
                elif isinstance(event, RejectData) and event.body_finished:
                    raise WsError(f"the gateway refused the WebSocket (HTTP {status})", status=status)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WsError("the gateway's WebSocket handshake timed out", status=status)
            data = self._read(remaining)
            if data is None:
                continue  # timed out: the deadline check above raises
            if not data:
                raise WsError("the gateway closed the WebSocket during the handshake", status=status)
            self._feed(data)

    def _read(self, timeout: float) -> bytes | None:
        """Bytes from the socket, b'' when the peer closed, None on timeout."""
        self._sock.settimeout(max(timeout, 0.001))
        try:
            return self._sock.recv(READ_SIZE)
        except TimeoutError:
            return None
        except OSError as exc:
            raise WsError(f"the WebSocket broke: {type(exc).__name__}") from exc

    def _feed(self, data: bytes) -> None:
        try:
            self._conn.receive_data(data)
        except RemoteProtocolError as exc:
            raise WsError("the gateway broke the WebSocket protocol") from exc

    def recv(self, timeout: float) -> str | None:
        """The next text message, or None when none arrived within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self._ready:
            if not self.closed:
                self._process_events()
            if self._ready:
                break
            if self.closed:
                raise self._close_error or WsError("the WebSocket is closed")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            data = self._read(remaining)
            if data is None:
                return None
            if not data:
                self.closed = True
                raise WsError("the gateway closed the WebSocket")
            self._feed(data)
        return self._ready.popleft()

    def _process_events(self) -> None:
        out = b""
        for event in self._conn.events():
            if isinstance(event, TextMessage | BytesMessage):
                chunk = event.data if isinstance(event, TextMessage) else event.data.decode("utf-8", "replace")
                self._partial.append(chunk)
                self._partial_size += len(chunk)
                if self._partial_size > self._max:
                    self._abort(1009, "message too big")
                    raise WsError("a WebSocket message exceeded the size cap")
                if event.message_finished:
                    self._ready.append("".join(self._partial))
                    self._partial, self._partial_size = [], 0
            elif isinstance(event, Ping):
                out += self._conn.send(event.response())
            elif isinstance(event, CloseConnection):
                try:
                    out += self._conn.send(event.response())
                except LocalProtocolError:
                    pass
                self._send(out)
                self._close_socket()
                # Messages that arrived before the close frame are still handed out first.
                self._close_error = WsError(
                    f"the gateway closed the WebSocket ({event.code} {event.reason or ''})".strip(), code=event.code)
                return
        self._send(out)

    def _send(self, data: bytes) -> None:
        if data:
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise WsError(f"the WebSocket broke: {type(exc).__name__}") from exc

    def _abort(self, code: int, reason: str) -> None:
        try:
            self._send(self._conn.send(CloseConnection(code=code, reason=reason)))
        except (WsError, LocalProtocolError):
            pass
        self._close_socket()

    def _close_socket(self) -> None:
        self.closed = True
        try:
            self._sock.close()
        except OSError:
            pass

    def close(self) -> None:
        if not self.closed:
            self._abort(1000, "bye")
