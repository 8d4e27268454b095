"""A small OpenAI-compatible chat-completions server on a free loopback port, for the llm plugin's tests.

Modes: "ok" (answers "第<n>条: <last user message>", n = how many messages it was sent), "error" (HTTP 500),
"bad_json" (200 with a body that is not JSON), "slow" (answers after `delay` seconds).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 5.0
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if fake.mode == "error":
                    return self._send(500, b'{"error": "overloaded"}')
                if fake.mode == "bad_json":
                    return self._send(200, b"<html>not json</html>")
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                messages = body.get("messages", [])
                answer = f"第{len(messages)}条: {messages[-1]['content'] if messages else ''}"
                reply = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                      "finish_reason": "stop"}]}
                self._send(200, json.dumps(reply, ensure_ascii=False).encode())

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
