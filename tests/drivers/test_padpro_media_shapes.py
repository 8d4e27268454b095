"""Media downloads against the answer shapes open-source clients of the 8059-era API read (a local HTTP server
replays them), and the media XML of real messages. Each fixture names the client whose reading it follows; the
payload bytes are ours (no client records a whole answer).
"""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drivers.padpro.client import GatewayClient
from drivers.padpro.media import SECTION, download, ref_for
from drivers.types import MessageEvent, MessageKind

IMAGE = bytes(range(256)) * 500  # 128,000 bytes: three sections
VOICE = b"#!SILK_V3" + bytes(900)
FILE = b"%PDF-1.4\n" + bytes(range(200)) * 300


def section_answer(body: dict, spelling: str) -> dict:
    """GetMsgBigImg / GetMsgVideo: AstrBot (astrbot/core/platform/sources/wechatpadpro/wechatpadpro_adapter.py,
    `_download_raw_image`) reads Data.Data.Buffer; kirara-ai's WeChatPad adapter loops on Data.TotalLen / StartPos /
    DataLen with Data.Data.Buffer; a Node client (`downloadImage`) reads Data.Data.buffer and Data.Data.iLen."""
    start = body["Section"]["StartPos"]
    chunk = IMAGE[start:start + body["Section"]["DataLen"]]
    inner = {spelling: base64.b64encode(chunk).decode(), "iLen": len(chunk)}
    return {"Code": 200, "Data": {"BaseResponse": {"ret": 0, "errMsg": {}}, "MsgId": body["MsgId"],
                                  "TotalLen": len(IMAGE), "StartPos": start, "DataLen": len(chunk), "Data": inner},
            "Text": ""}


# AstrBot wechatpadpro_adapter.py `download_voice` → voice_resp["Data"]["Base64"]
VOICE_ANSWER = {"Code": 200, "Data": {"Base64": base64.b64encode(VOICE).decode(), "Length": len(VOICE)}, "Text": ""}
# LangBot libs/wechatpad_api/api/downloadai.py `send_download` (request); a CowAgent-family client reads
# Data.TotalSize and Data.FileData (`SendCdnDownload` for "图视文音")
FILE_ANSWER = {"Code": 200, "Data": {"TotalSize": len(FILE), "FileData": base64.b64encode(FILE).decode()},
               "Text": ""}

# Message XML as the real service sends it (shapes from WkApi's getMsgImg example and AstrBot's GeweDataParser
# inputs; keys and ids shortened).
IMAGE_XML = ('<?xml version="1.0"?><msg><img aeskey="07fea09b27952d512c0d71a52c914f3" encryver="1" '
             'cdnthumburl="3058020100" cdnmidimgurl="3058020100" length="51361" hdlength="128000" '
             'md5="449fb858f24416adcab831859011fb21" /></msg>')
VOICE_XML = ('<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="2540" '
             'length="909" bufid="0" aeskey="x" voiceurl="3052020100" clientmsgid="41" fromusername="wxid_a" /></msg>')
FILE_XML = ("<msg><appmsg appid='' sdkver='0'><title>报告.pdf</title><type>6</type><appattach>"
            "<totallen>60009</totallen><attachid>@cdn_3057_1</attachid><fileext>pdf</fileext>"
            "<cdnattachurl>3057020100044b30</cdnattachurl><aeskey>6e6c3f0a1b</aeskey></appattach></appmsg></msg>")


class Replay(BaseHTTPRequestHandler):
    spelling = "Buffer"
    seen: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        path = self.path.split("?")[0]
        type(self).seen.append((path, body))
        answer = {"/message/GetMsgBigImg": lambda: section_answer(body, self.spelling),
                  "/message/GetMsgVideo": lambda: section_answer(body, self.spelling),
                  "/message/GetMsgVoice": lambda: VOICE_ANSWER,
                  "/message/SendCdnDownload": lambda: FILE_ANSWER}[path]()
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Replay.seen = []
    yield GatewayClient(f"http://127.0.0.1:{server.server_address[1]}", "k", timeout=5)
    server.shutdown()
    server.server_close()


def event(kind: MessageKind, msg_type: int, xml: str, app_type: int = 0) -> MessageEvent:
    ref = ref_for(msg_type, app_type, "1102684156", "7418823019876543210", "wxid_sender", "wxid_me", xml)
    return MessageEvent("7418823019876543210", kind, "wxid_sender", "wxid_sender", False, raw=xml, media_ref=ref)


@pytest.mark.parametrize("spelling", ["Buffer", "buffer"])
def test_image_sections_in_either_recorded_spelling(gateway, spelling):
    Replay.spelling = spelling
    sink = io.BytesIO()
    assert download(gateway, event(MessageKind.IMAGE, 3, IMAGE_XML), sink, 10 ** 6) == len(IMAGE)
    assert sink.getvalue() == IMAGE
    calls = [b for p, b in Replay.seen if p == "/message/GetMsgBigImg"]
    assert [c["Section"]["StartPos"] for c in calls] == [0, SECTION, 2 * SECTION]
    # The short msg_id (not new_msg_id) and the message's two ends, as the clients send them.
    assert {(c["MsgId"], c["FromUserName"], c["ToUserName"], c["CompressType"]) for c in calls} == {
        (1102684156, "wxid_sender", "wxid_me", 0)}
    assert calls[0]["TotalLen"] == 0 and calls[1]["TotalLen"] == len(IMAGE)


def test_voice_and_file_answers(gateway):
    sink = io.BytesIO()
    assert download(gateway, event(MessageKind.VOICE, 34, VOICE_XML), sink, 10 ** 6) == len(VOICE)
    assert sink.getvalue() == VOICE
    assert Replay.seen[-1] == ("/message/GetMsgVoice", {"Bufid": "0", "Length": 909,
                                                        "NewMsgId": "7418823019876543210", "ToUserName": "wxid_me"})
    sink = io.BytesIO()
    assert download(gateway, event(MessageKind.FILE, 49, FILE_XML, 6), sink, 10 ** 6) == len(FILE)
    assert sink.getvalue() == FILE
    assert Replay.seen[-1] == ("/message/SendCdnDownload", {"AesKey": "6e6c3f0a1b", "FileURL": "3057020100044b30",
                                                            "FileType": 5})
