"""Each repair in libs/wx_compat.py, with a test that fails without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from libs import wx_compat

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
