"""Who may drive the sandbox: a web page the operator visits must not reset the world or inject messages."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import requests

from sandbox.app import create_app
from sandbox.guard import is_loopback_host
from tests.fixtures.processes import wait_for
from tests.fixtures.sandbox import ROOT, SandboxServer, free_port, stop_sandbox

TOKEN = "the-token"


@pytest.fixture
def client():
    return create_app(token=TOKEN).test_client()


def control(client, path: str, token: str | None = TOKEN, host: str = "127.0.0.1:8200", **kwargs):
    headers = {"Host": host, **({"X-Sandbox-Token": token} if token is not None else {})}
    return client.post(path, headers=headers, **kwargs) if kwargs else client.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/_sandbox/state", "/_sandbox/sent", "/_sandbox/nonexistent"])
@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_control_calls_without_the_token_are_refused(client, path, token):
    response = control(client, path, token=token)
    assert response.status_code == 401 and "X-Sandbox-Token" in response.get_json()["error"]


def test_a_cross_site_text_plain_post_changes_nothing(client):
    """What a form or no-cors fetch on another site can send: no token header, a text/plain or form body."""
    before = control(client, "/_sandbox/state").get_json()["log_position"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        response = control(client, "/_sandbox/messages", token=None, data='{"from": "x", "content": "hi"}',
                           content_type=content_type)
        assert response.status_code == 401, content_type
    assert control(client, "/_sandbox/reset", token=None, data="{}", content_type="text/plain").status_code == 401
    assert control(client, "/_sandbox/state").get_json()["log_position"] == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_control_bodies_must_be_json_even_with_the_token(client, content_type):
    response = control(client, "/_sandbox/logout", data="{}", content_type=content_type)
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    assert control(client, "/_sandbox/logout", json={}).status_code == 200
    with_charset = "application/json; charset=utf-8"
    assert control(client, "/_sandbox/logout", data="{}", content_type=with_charset).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8200", "127.0.0.1.evil.example", "localhost.evil",
                                  "127.0.0.2:8200", "0.0.0.0:8200", "[::2]:8200", "", "127.0.0.1:80:80",
                                  "localhost:port"])
def test_foreign_host_names_are_refused_even_with_the_token(client, host):
    """DNS rebinding: evil.example resolves to 127.0.0.1, so address and token are right but Host is not."""
    response = control(client, "/_sandbox/reset", host=host, json={})
    assert response.status_code == 403 and "host" in response.get_json()["error"]
    assert control(client, "/_sandbox/phone", host=host).status_code == 403  # the phone page shows its form token


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8200", "localhost", "LOCALHOST:1", "[::1]", "[::1]:8200"])
def test_loopback_host_names_with_any_port_are_accepted(client, host):
    assert is_loopback_host(host)
    assert control(client, "/_sandbox/state", host=host).status_code == 200


def test_the_phone_page_needs_its_form_token_not_the_header(client):
    page = control(client, "/_sandbox/phone", token=None)
    assert page.status_code == 200
    assert control(client, "/_sandbox/phone/logout", token=TOKEN, data={"token": "guess"}).status_code == 403
    form_token = client.application.config["SANDBOX_PHONE_TOKEN"]
    assert form_token in page.get_data(as_text=True)
    assert control(client, "/_sandbox/phone/logout", token=None, data={"token": form_token}).status_code == 302


def test_web_wechat_routes_stay_open_to_any_host(client):
    """The protocol face is what itchat talks to (in compose: http://sandbox:8200): no token, any Host."""
    assert client.get("/", headers={"Host": "sandbox:8200"}).status_code == 200


def test_the_process_writes_its_token_file_0600_and_the_api_wants_it(tmp_path):
    token_file = tmp_path / "instance" / "sandbox_token"
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--token-file", str(token_file),
                                "--log-level", "WARNING"], cwd=ROOT)
    server = SandboxServer(f"http://127.0.0.1:{port}", process, token_file)
    try:
        wait_for(server.read_token, 20, what="the token file")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        wait_for(lambda: server.state(), 20, what="the sandbox")  # the header from the file works
        anonymous = requests.post(f"{server.base_url}/_sandbox/reset", data="{}", timeout=10,
                                  headers={"Content-Type": "text/plain"})
        assert anonymous.status_code == 401
    finally:
        stop_sandbox(server)
