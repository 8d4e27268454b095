"""The gateway client's transport rules: the key goes to the configured base URL only, errors are clear."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drivers.padpro.client import BadGatewayUrl, GatewayClient, normalize_base_url
from drivers.padpro.ws import WsConnection, WsError
from drivers.types import Unavailable

KEY = "s3cret-key"


class Recorder(BaseHTTPRequestHandler):
    """Answers by path: a redirect to another host, HTTP 500, non-JSON, or a good envelope."""

    seen: list[str] = []
    other_port = 0

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.other_port}/stolen")
            self.end_headers()
            return
        status, body = {"/boom": (500, b"oops"), "/html": (200, b"<html>"), "/ws/GetSyncMsg": (401, b"{}")}.get(
            self.path.split("?")[0], (200, json.dumps({"Code": 200, "Data": {"ok": 1}, "Text": ""}).encode()))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def servers():
    class Gateway(Recorder):
        seen = []

    class Elsewhere(Recorder):
        seen = []

    started = [ThreadingHTTPServer(("127.0.0.1", 0), cls) for cls in (Gateway, Elsewhere)]
    Gateway.other_port = started[1].server_address[1]
    for server in started:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in started], (Gateway, Elsewhere)
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["ftp://h", "http://", "http://u:p@h", "http://h/?a=1", "http://h/#x", "h:1", ""])
def test_bad_base_urls_are_refused(url):
    with pytest.raises(BadGatewayUrl):
        normalize_base_url(url)


def test_base_url_keeps_a_path_prefix():
    assert normalize_base_url(" https://gw.example:8443/api/ ") == "https://gw.example:8443/api"
    client = GatewayClient("https://gw.example:8443/api/", "k y")
    assert client.ws_url() == "wss://gw.example:8443/api/ws/GetSyncMsg?key=k%20y"
    assert "k y" not in repr(client)


def test_redirects_are_not_followed_and_the_key_stays_home(servers):
    (base, _), (gateway, elsewhere) = servers
    client = GatewayClient(base, KEY)
    assert client.get("/ok") == {"ok": 1}
    assert gateway.seen == [f"/ok?key={KEY}"]
    with pytest.raises(Unavailable, match="redirect") as caught:
        client.get("/redirect")
    assert elsewhere.seen == []  # the other host never saw a request, let alone the key
    for path, error in (("/boom", "HTTP 500"), ("/html", "not JSON")):
        with pytest.raises(Unavailable, match=error) as caught:
            client.post(path, {})
        assert KEY not in str(caught.value)


def test_an_unreachable_gateway_is_unavailable():
    client = GatewayClient("http://127.0.0.1:9", KEY, connect_timeout=1)
    with pytest.raises(Unavailable, match="cannot reach") as caught:
        client.get("/login/GetLoginStatus")
    assert KEY not in str(caught.value)


def test_a_refused_websocket_reports_its_status(servers):
    (base, _), _ = servers
    with pytest.raises(WsError) as caught:
        WsConnection.connect(GatewayClient(base, KEY).ws_url(), timeout=5)
    assert caught.value.status == 401


def test_paths_are_constants_not_user_input():
    client = GatewayClient("http://127.0.0.1:9", KEY)
    for path in ("relative", "/a?key=x", "//evil.example/x"):
        with pytest.raises(ValueError):
            client.get(path)
