"""Errors the HTTP server answers itself are JSON too: a real gunicorn gevent worker started as the Procfile starts
it (libs/gunicorn_config.py), and the raw requests it refuses before Flask sees them (414, 431, 400)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from libs.gunicorn_config import json_error_response, limit_request_field_size, limit_request_line
from tests.fixtures.processes import free_port, redis_server, wait_for  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def procfile_web_argv(port: int) -> list[str]:
    """The Procfile's web command, bound to `port` and run by this interpreter."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    argv = shlex.split(line.removeprefix("web:"))
    assert argv[0].endswith("gunicorn") and "python:libs.gunicorn_config" in argv
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "gunicorn", *argv[1:]]


def raw_request(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory, migrated_db, redis_server):  # noqa: F811
    folder = tmp_path_factory.mktemp("gunicorn")
    shutil.copy(migrated_db, folder / "web.db")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'web.db'}", "REDIS_URL": redis_server.url,
           "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(folder / "instance"), "GUNICORN_CMD_ARGS": ""}
    log = open(folder / "gunicorn.log", "ab")  # noqa: SIM115 (the child writes to it while it runs)
    process = subprocess.Popen(procfile_web_argv(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0]
                 == 200, 30, what=f"gunicorn: {folder / 'gunicorn.log'}")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def request_bytes(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


CASES = [
    ("uri-too-long", lambda: request_bytes("/api/contacts?q=" + "a" * (limit_request_line + 10)), 414),
    ("header-too-large", lambda: request_bytes("/api/me", {"X-Big": "b" * (limit_request_field_size + 10)}), 431),
    ("too-many-headers", lambda: request_bytes("/api/me", {f"X-H{i}": "v" for i in range(150)}), 431),
    ("bad-request-line", lambda: b"GET /api/me HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
]


@pytest.mark.parametrize("build, status", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_server_refusals_are_json(gunicorn_port, build, status):
    code, headers, body = raw_request(gunicorn_port, build())
    assert code == status, body[:300]
    assert headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert isinstance(answer["error"], str) and answer["status"] == status
    assert len(body) < 1000  # the offending request line is not echoed back whole


def test_app_errors_through_gunicorn_are_json(gunicorn_port):
    for path, status in (("/api/nope", 401), ("/api/messages?q=%00", 401), ("/stream?events=%00", 401)):
        code, headers, body = raw_request(gunicorn_port, request_bytes(path))
        assert (code, headers["content-type"]) == (status, "application/json"), (path, body[:200])
        assert isinstance(json.loads(body)["error"], str)


def test_json_error_response_is_well_formed():
    response = json_error_response(414, "URI Too Long", "x" * 5000)
    head, _, body = response.partition(b"\r\n\r\n")
    assert f"Content-Length: {len(body)}".encode() in head and len(json.loads(body)["error"]) < 250
