"""Media downloads against a lying gateway (a local HTTP server): claims smaller than the bytes, answers that never
end, sections that do not advance. The cap holds and nothing past it reaches the sink."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drivers.padpro.client import GatewayClient
from drivers.padpro.media import download, ref_for
from drivers.types import MediaTooLarge, MessageEvent, MessageKind, Unavailable

CAP = 100_000


class Liar(BaseHTTPRequestHandler):
    mode = "big_file"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "big_file":  # claims 10 bytes in the XML, sends 1 MB, no Content-Length
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"Code": 200, "Data": {"FileData": "')
            for _ in range(20):
                self.wfile.write(base64.b64encode(b"x" * 60_000))
            self.wfile.write(b'"}}')
            return
        if self.mode == "stuck":  # a section that never advances past the first
            data = {"TotalLen": 10 ** 6, "StartPos": 0, "DataLen": 10, "Data": {"Buffer": base64.b64encode(
                b"0123456789").decode()}}
        else:  # "endless": announces more than the cap, sends nothing
            data = {"TotalLen": CAP * 10, "StartPos": 0, "DataLen": 0, "Data": {"Buffer": ""}}
        body = json.dumps({"Code": 200, "Data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield GatewayClient(f"http://127.0.0.1:{server.server_address[1]}", "k", timeout=5)
    server.shutdown()
    server.server_close()


def event(kind: MessageKind, msg_type: int, body: str, app_type: int = 0) -> MessageEvent:
    ref = ref_for(msg_type, app_type, "123", "9000000000000000123", "wxid_a", "wxid_b", body)
    return MessageEvent(msg_id="9000000000000000123", kind=kind, chat_id="wxid_a", sender_id="wxid_a",
                        is_group=False, raw=body, media_ref=ref)


FILE_XML = ("<msg><appmsg><title>a.txt</title><type>6</type><appattach><totallen>10</totallen>"
            "<cdnattachurl>305702</cdnattachurl><aeskey>k</aeskey></appattach></appmsg></msg>")


def test_a_file_larger_than_it_claims_stops_at_the_cap(gateway):
    Liar.mode = "big_file"
    sink = io.BytesIO()
    with pytest.raises(MediaTooLarge):
        download(gateway, event(MessageKind.FILE, 49, FILE_XML, 6), sink, CAP)
    assert len(sink.getvalue()) <= CAP


def test_sections_that_do_not_add_up_stop(gateway):
    Liar.mode = "stuck"
    image = event(MessageKind.IMAGE, 3, '<msg><img length="10" md5="x" /></msg>')
    with pytest.raises((Unavailable, MediaTooLarge)):
        download(gateway, image, io.BytesIO(), 10 ** 7)  # TotalLen 1 MB of 10-byte answers: StartPos never moves
    Liar.mode = "endless"
    with pytest.raises((Unavailable, MediaTooLarge)):
        download(gateway, image, io.BytesIO(), CAP)


@pytest.mark.parametrize("body", ["", "<msg><img", "<!DOCTYPE x [<!ENTITY a 'b'>]><msg><img length='1'/></msg>",
                                  "<msg><appmsg><type>6</type></appmsg></msg>"])
def test_hostile_or_empty_xml_gives_no_ref(body):
    assert ref_for(49 if "appmsg" in body else 3, 6, "1", "2", "a", "b", body) == ""


def test_streamed_base64_survives_any_split_and_escaped_slashes():
    from drivers.padpro.media import _Base64Stream, _Writer

    data = bytes(range(256)) * 40  # its base64 has many '/'
    encoded = base64.b64encode(data).replace(b"/", b"\\/") + b'"}}'
    for step in (1, 3, 7, 4096):
        sink = io.BytesIO()
        stream = _Base64Stream(_Writer(sink, len(data)))
        pieces = [encoded[i:i + step] for i in range(0, len(encoded), step)]
        done = False
        for piece in pieces:
            done = stream.feed(piece)
            if done:
                break
        stream.finish()
        assert done and sink.getvalue() == data, step
    with pytest.raises(Unavailable):
        _Base64Stream(_Writer(io.BytesIO(), 100)).feed(b"not base64!!\"")
