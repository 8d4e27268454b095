"""Repairs that itchat 1.2.32 / wxpy 0.3.9.8 need on Python 3.11 and against the real service. Call ``apply()``
before using itchat.

Only genuine incompatibilities belong here, each with a test in tests/test_wx_compat.py.
"""

from __future__ import annotations

import html
import json
import time
from urllib.parse import quote

_applied = False


class _Unescaper:
    """Stand-in for the HTMLParser instance itchat keeps only for its ``unescape`` method."""

    @staticmethod
    def unescape(text: str) -> str:
        return html.unescape(text)


def _get_msg(self):
    """itchat's get_msg, with the session id URL-encoded: real wxsids carry '+' and '/', and itchat pasted the
    value into the query as it is, so the server read a space for the '+' (ItChat and wechat4u threads on 1101).
    pass_ticket comes URL-encoded in the login answer already and is passed on as it is, like the web client."""
    from itchat import config

    info = self.loginInfo
    url = (f"{info['url']}/webwxsync?sid={quote(info['wxsid'], safe='')}&skey={quote(info['skey'], safe='@')}"
           f"&pass_ticket={info['pass_ticket']}")
    data = {"BaseRequest": info["BaseRequest"], "SyncKey": info["SyncKey"], "rr": ~int(time.time())}
    headers = {"ContentType": "application/json; charset=UTF-8", "User-Agent": config.USER_AGENT}
    response = self.s.post(url, data=json.dumps(data), headers=headers)
    answer = json.loads(response.content.decode("utf-8", "replace"))
    if answer["BaseResponse"]["Ret"] != 0:
        return None, None
    info["SyncKey"] = answer["SyncCheckKey"]
    info["synckey"] = "|".join(f"{item['Key']}_{item['Val']}" for item in answer["SyncCheckKey"]["List"])
    return answer["AddMsgList"], answer["ModContactList"]


def apply() -> None:
    """Apply every repair once (idempotent, safe to call from several entry points)."""
    global _applied
    if _applied:
        return
    import itchat.utils

    # HTMLParser.unescape was removed in Python 3.9; itchat.utils.msg_formatter calls
    # htmlParser.unescape on every incoming message, so produce_msg crashed and no message arrived.
    if not hasattr(itchat.utils.htmlParser, "unescape"):
        itchat.utils.htmlParser = _Unescaper()
    from itchat.core import Core

    Core.get_msg = _get_msg
    _applied = True
