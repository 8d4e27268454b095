"""Each repair in drivers/itchat/compat.py, with a test that fails without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drivers.itchat import compat as wx_compat

ROOT = Path(__file__).resolve().parents[1]


def test_apply_is_idempotent():
    wx_compat.apply()
    import itchat.utils

    parser = itchat.utils.htmlParser
    wx_compat.apply()
    assert itchat.utils.htmlParser is parser


def test_incoming_message_text_is_unescaped():
    """itchat.utils.msg_formatter runs on every message; it used HTMLParser.unescape (gone since 3.9)."""
    wx_compat.apply()
    import itchat.utils

    msg = {"Content": "a &lt;b&gt; &amp; c<br/>line 2 &quot;x&quot; &#39;y&#39;"}
    itchat.utils.msg_formatter(msg, "Content")
    assert msg["Content"] == "a <b> & c\nline 2 \"x\" 'y'"


def test_produce_msg_handles_a_text_message():
    """The crash the repair exists for: produce_msg on an ordinary friend's text message."""
    wx_compat.apply()
    import itchat
    from itchat.components.messages import produce_msg

    core = itchat.Core()
    raw = {"FromUserName": "@" + "a" * 32, "ToUserName": "@" + "b" * 32, "MsgType": 1, "Url": "",
           "Content": "5 &gt; 3", "NewMsgId": 1, "MsgId": "1"}
    [msg] = produce_msg(core, [raw])
    assert (msg["Type"], msg["Text"]) == ("Text", "5 > 3")


def test_unrepaired_itchat_is_still_broken_here():
    """If this starts failing, itchat (or Python) no longer needs the unescape repair: drop it."""
    code = ("import itchat.utils as u\n"
            "try:\n    u.msg_formatter({'Content': '&amp;'}, 'Content')\n"
            "except AttributeError:\n    print('broken')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("broken"), out.stderr


class _Recorder:
    """A requests.Session stand-in that records the URL and answers an empty webwxsync."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def post(self, url, **kwargs):
        import json
        import types

        self.urls.append(url)
        key = {"Count": 1, "List": [{"Key": 1, "Val": 2}]}
        body = {"BaseResponse": {"Ret": 0}, "AddMsgList": [], "ModContactList": [], "SyncCheckKey": key}
        return types.SimpleNamespace(content=json.dumps(body).encode())


def test_webwxsync_url_encodes_a_session_id_with_plus_and_slash():
    """Real wxsids carry '+' and '/'; itchat pasted them into webwxsync's query unencoded (a '+' reads as a space)."""
    from urllib.parse import parse_qs, urlsplit

    import itchat

    wx_compat.apply()
    core = itchat.new_instance()
    core.s = _Recorder()
    core.loginInfo.update(url="http://127.0.0.1:9/cgi-bin/mmwebwx-bin", wxsid="ab+c/d==", skey="@crypt_1_2",
                          pass_ticket="x%2By%2Fz", BaseRequest={}, SyncKey={})
    assert core.get_msg() == ([], [])
    query = parse_qs(urlsplit(core.s.urls[0]).query)
    assert query["sid"] == ["ab+c/d=="] and query["pass_ticket"] == ["x+y/z"]
    assert core.loginInfo["synckey"] == "1_2"
