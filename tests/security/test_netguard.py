"""libs/netguard.py: the outgoing-fetch guard (URL shapes, addresses after DNS, again at connect time, redirects)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from libs import netguard
from libs.netguard import OutboundRefused, Policy, check_url, fetch
from plugins.llm import EndpointError, complete
from tests.plugins.fake_llm import FakeLLM

NOBODY = Policy()
LOOPBACK_ALLOWED = Policy.from_settings({"OUTBOUND_ALLOW_HOSTS": "127.0.0.1"})

REFUSED_URLS = [
    # loopback in every spelling a resolver accepts
    "http://127.0.0.1/", "http://127.0.0.2:8080/", "http://localhost/", "http://[::1]/", "http://2130706433/",
    "http://0x7f.1/", "http://0x7f000001/", "http://017700000001/", "http://0177.0.0.1/", "http://127.1/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    # private, link-local, unique-local, CGNAT, multicast, unspecified, reserved
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.0.1/", "http://169.254.1.1/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://100.64.0.1/", "http://224.0.0.1/", "http://[ff02::1]/", "http://0.0.0.0/",
    "http://[::]/", "http://240.0.0.1/", "http://255.255.255.255/",
    # metadata endpoints, also inside IPv6
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/", "http://100.100.100.200/",
    # shapes
    "file:///etc/passwd", "gopher://8.8.8.8/", "ftp://8.8.8.8/", "//8.8.8.8/", "8.8.8.8", "",
    "http://user:pw@8.8.8.8/", "http://user@8.8.8.8/", "http://8.8.8.8/\r\nX-Injected: 1", "http://8.8.8.8/a b",
    "http://8.8.8.8\\@127.0.0.1/", "http://8.8.8.8/\x00", "http://[fe80::1%25eth0]/", "http://8.8.8.8:99999/",
    "http://" + "a" * 3000 + ".com/",
]
ALLOWED_URLS = ["http://8.8.8.8/", "https://1.1.1.1:8443/v1", "https://[2606:4700:4700::1111]/v1", "HTTP://8.8.4.4"]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused_urls(url):
    with pytest.raises(OutboundRefused):
        check_url(url, NOBODY)


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_public_addresses_pass(url):
    assert check_url(url, NOBODY) == url


def test_operator_allow_lists():
    assert check_url("http://127.0.0.1:9/", LOOPBACK_ALLOWED)
    lan = Policy.from_settings({"OUTBOUND_ALLOW_NETS": "10.0.0.0/8, fd00::/8", "OUTBOUND_ALLOW_HOSTS": "localhost"})
    assert check_url("http://10.2.3.4/", lan) and check_url("http://[fd00::5]/", lan)
    assert check_url("http://localhost:1/", lan)
    with pytest.raises(OutboundRefused):
        check_url("http://192.168.1.1/", lan)
    with pytest.raises(ValueError, match="OUTBOUND_ALLOW_NETS"):
        Policy.from_settings({"OUTBOUND_ALLOW_NETS": "nope"})


def stub_resolver(monkeypatch, answers: dict[str, list[str]]):
    """socket.getaddrinfo, the edge of the world: each call for a stubbed name takes the next answer."""
    real = socket.getaddrinfo
    calls: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            calls.append(host)
            address = answers[host][min(len(calls), len(answers[host])) - 1]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_name_is_judged_by_every_address_it_resolves_to(monkeypatch):
    stub_resolver(monkeypatch, {"inside.example": ["10.0.0.7"], "meta.example": ["::ffff:169.254.169.254"]})
    for name in ("inside.example", "meta.example"):
        with pytest.raises(OutboundRefused, match=name):
            check_url(f"https://{name}/v1", NOBODY)
    with pytest.raises(OutboundRefused, match="does not resolve"):
        check_url("https://no-such-host.invalid/", NOBODY)


def test_dns_rebinding_is_caught_at_connect_time(monkeypatch):
    """Public when checked, loopback when connecting: the connection checks again and never reaches the server."""
    with FakeLLM() as llm:
        port = llm.server.server_address[1]
        calls = stub_resolver(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
        with pytest.raises(OutboundRefused, match="loopback"):
            fetch("POST", f"http://rebind.example:{port}/v1/chat/completions", NOBODY, json={}, timeout=2)
        assert calls == ["rebind.example", "rebind.example"] and llm.requests == []


def test_the_connection_goes_to_the_checked_address_and_keeps_the_host_name(monkeypatch):
    with FakeLLM() as llm:
        port = llm.server.server_address[1]
        calls = stub_resolver(monkeypatch, {"model.lan": ["127.0.0.1"]})
        policy = Policy.from_settings({"OUTBOUND_ALLOW_HOSTS": "model.lan"})
        response = fetch("POST", f"http://model.lan:{port}/v1/chat/completions", policy,
                         json={"messages": [{"content": "hi"}]}, timeout=5)
        assert response.status_code == 200 and calls == ["model.lan", "model.lan"]


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_redirects_are_not_followed():
    with FakeLLM() as llm:
        _Redirector.target = llm.base_url + "/chat/completions"
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
            response = fetch("POST", url, LOOPBACK_ALLOWED, json={}, timeout=5)
            assert response.status_code == 307 and llm.requests == []
            with pytest.raises(EndpointError, match="redirect"):
                complete(settings(url.removesuffix("/chat/completions")), [], 5, LOOPBACK_ALLOWED)
        finally:
            server.shutdown()
            server.server_close()
        assert llm.requests == []


def test_proxies_from_the_environment_are_ignored(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with FakeLLM() as llm:
        response = fetch("POST", llm.base_url + "/chat/completions", LOOPBACK_ALLOWED, json={}, timeout=5)
        assert response.status_code == 200


def settings(base_url: str, api_key: str = "sk-secret-0123456789") -> dict:
    return {"base_url": base_url, "api_key": api_key, "model": "m", "max_tokens": 16}


def test_the_llm_plugin_refuses_loopback_without_the_allow_list_and_says_nothing_of_the_target():
    with FakeLLM() as llm:
        llm.mode = "error"
        with pytest.raises(EndpointError) as caught:
            complete(settings(llm.base_url), [{"role": "user", "content": "hi"}], 2, NOBODY)
        assert "loopback" in str(caught.value) and "500" not in str(caught.value)
        assert llm.requests == []  # neither the question nor the key left the process
        with pytest.raises(EndpointError, match="HTTP 500"):  # allowed by the operator: the usual error
            complete(settings(llm.base_url), [{"role": "user", "content": "hi"}], 2, LOOPBACK_ALLOWED)
        assert llm.requests[0]["auth"] == "Bearer sk-secret-0123456789"


def test_refusals_are_not_wrapped_as_connection_errors():
    assert issubclass(OutboundRefused, ValueError) and not issubclass(OutboundRefused, requests.RequestException)
    assert netguard.refusal(netguard.ipaddress.ip_address("8.8.8.8")) is None


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests, as the gateway's server does
    paths: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def test_a_reused_session_keeps_one_connection_and_every_check(monkeypatch):
    """fetch(session=guarded_session(policy)): many requests over one kept-alive connection; the URL shape is still
    checked on every call, a new connection is still checked at connect time, and only a guarded session of the same
    policy is taken."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _KeepAlive.paths = []
    try:
        port = server.server_address[1]
        calls = stub_resolver(monkeypatch, {"gateway.lan": ["127.0.0.1"], "rebind.example": ["127.0.0.1"]})
        policy = Policy.from_settings({"OUTBOUND_ALLOW_HOSTS": "gateway.lan"})
        with netguard.guarded_session(policy) as session:
            for number in range(3):
                response = fetch("GET", f"http://gateway.lan:{port}/avatar/{number}", policy, session=session,
                                 timeout=5)
                assert response.status_code == 200 and response.content == b"ok"
            assert calls == ["gateway.lan"]  # one connection, resolved and checked once, when it was made
            with pytest.raises(OutboundRefused, match="loopback"):  # another host: a new connection, checked
                fetch("GET", f"http://rebind.example:{port}/avatar/x", policy, session=session, timeout=5)
            with pytest.raises(OutboundRefused, match="user name"):
                fetch("GET", f"http://user@gateway.lan:{port}/", policy, session=session)
        assert _KeepAlive.paths == ["/avatar/0", "/avatar/1", "/avatar/2"]
        url = f"http://gateway.lan:{port}/avatar/0"
        with requests.Session() as plain, pytest.raises(TypeError, match="guarded_session"):
            fetch("GET", url, policy, session=plain)
        with netguard.guarded_session(NOBODY) as other, pytest.raises(TypeError, match="same policy"):
            fetch("GET", url, policy, session=other)
        assert _KeepAlive.paths == ["/avatar/0", "/avatar/1", "/avatar/2"]
    finally:
        server.shutdown()
        server.server_close()
