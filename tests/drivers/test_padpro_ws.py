"""The driver's WebSocket client against a scripted wsproto server: pings, fragments, size cap, close codes."""

from __future__ import annotations

import socket
import threading

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, Pong, Request, TextMessage

from drivers.padpro.ws import WsConnection, WsError


class ScriptedServer:
    """Accepts one client, then sends ``script`` (wsproto events) and records what the client sent back."""

    def __init__(self, script) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self.listener.getsockname()[1]}/ws/GetSyncMsg?key=k"
        self.script = script
        self.received: list = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        sock, _ = self.listener.accept()
        sock.settimeout(5)
        conn = WSConnection(ConnectionType.SERVER)
        with sock:
            while not any(isinstance(e, Request) for e in self._events(conn, sock)):
                pass
            sock.sendall(conn.send(AcceptConnection()))
            for event in self.script:
                sock.sendall(conn.send(event))
            try:
                while True:
                    events = self._events(conn, sock)
                    if any(isinstance(e, CloseConnection) for e in events):
                        break
            except OSError:
                pass

    def _events(self, conn, sock):
        data = sock.recv(65536)
        if not data:
            raise OSError("closed")
        conn.receive_data(data)
        events = list(conn.events())
        self.received += events
        return events


def test_fragments_pings_and_close_codes():
    server = ScriptedServer([Message(data="{\"a\":", message_finished=False), Ping(b"hi"),
                             Message(data="1}", message_finished=True), TextMessage(data="two"),
                             CloseConnection(code=4001, reason="你已退出微信")])
    ws = WsConnection.connect(server.url, timeout=5)
    assert ws.recv(2) == '{"a":1}'
    assert ws.recv(2) == "two"
    with pytest.raises(WsError) as caught:
        ws.recv(2)
    assert caught.value.code == 4001
    server.thread.join(5)
    assert any(isinstance(e, Pong) and e.payload == b"hi" for e in server.received)


def test_a_quiet_socket_times_out_without_error():
    server = ScriptedServer([])
    ws = WsConnection.connect(server.url, timeout=5)
    assert ws.recv(0.2) is None
    ws.close()
    server.thread.join(5)
    assert any(isinstance(e, CloseConnection) for e in server.received)


def test_an_oversized_message_closes_with_1009():
    server = ScriptedServer([TextMessage(data="x" * 5000)])
    ws = WsConnection.connect(server.url, timeout=5, max_message=1000)
    with pytest.raises(WsError, match="size cap"):
        ws.recv(2)
    server.thread.join(5)
    assert any(isinstance(e, CloseConnection) and e.code == 1009 for e in server.received)


def test_a_server_that_never_answers_the_handshake_times_out():
    listener = socket.create_server(("127.0.0.1", 0))
    with listener, pytest.raises(WsError, match="timed out"):
        WsConnection.connect(f"ws://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.3)
