"""gunicorn settings for the web process (`gunicorn --config python:libs.gunicorn_config ... app:app`).

The API answers JSON everywhere, but a request gunicorn refuses itself (a request line over
`limit_request_line`: 414; a header over `limit_request_field_size` or more than `limit_request_fields` headers:
431; a malformed request line: 400) never reaches Flask, and gunicorn writes those answers as HTML. The worker hook
below makes gunicorn write them as JSON ({"error": ..., "status": ...}) instead, whatever the limit that was hit.
The limits are gunicorn's defaults, stated here; GUNICORN_CMD_ARGS (e.g. "--limit-request-line 8190") overrides
them without a code change.
"""

from __future__ import annotations

import json
from typing import Any

limit_request_line = 4094  # bytes of "GET /path?query HTTP/1.1" (gunicorn allows at most 8190)
limit_request_fields = 100  # headers per request
limit_request_field_size = 8190  # bytes of one header line
MAX_MESSAGE = 200  # gunicorn's message may quote the offending request line: keep the answer short


def json_error_response(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response (the connection closes after it, as gunicorn's own does)."""
    text = f"{reason}: {message[:MAX_MESSAGE]}" if message else reason
    body = json.dumps({"error": text, "status": status}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def _write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    from gunicorn import util

    util.write_nonblock(sock, json_error_response(status_int, reason, mesg))


def post_worker_init(worker: Any) -> None:
    """gunicorn hook, in each worker: its error writer (gunicorn.util.write_error, called by the worker's
    handle_error for every request it refuses or fails) writes JSON."""
    from gunicorn import util

    util.write_error = _write_json_error
