"""What web WeChat lets the bot send: refused before sending, with the reason, instead of failing half-way.

The web client's limits (wechaty puppet-wechat `uploadMedia`, taken from webwxApp.js): an upload above 25 MB needs
a Signature from webwxcheckupload first, files stop at 100 MB and videos at 20 MB. itchat never calls
webwxcheckupload, so through it nothing above 25 MB can be sent at all.
"""

from __future__ import annotations

MB = 1024 * 1024
CHECKUPLOAD_ABOVE = 25 * MB
MAX_FILE = 100 * MB
MAX_VIDEO = 20 * MB


def send_refusal(kind: str, size: int, name: str = "", checkupload: bool = False) -> str | None:
    """Why WeChat would not take this upload (`kind`: image | emoticon | video | file), or None.

    `checkupload`: whether the driver makes the webwxcheckupload call that uploads above 25 MB need (itchat: no).
    """
    label = f"{name!r} " if name else ""
    if kind == "video" and size > MAX_VIDEO:
        return f"the video {label}is {size / MB:.1f} MB; WeChat sends videos of at most 20 MB"
    if size > MAX_FILE:
        return f"the file {label}is {size / MB:.1f} MB; WeChat sends files of at most 100 MB"
    if size > CHECKUPLOAD_ABOVE and not checkupload:
        return (f"the file {label}is {size / MB:.1f} MB; above 25 MB web WeChat needs a pre-upload check "
                "(webwxcheckupload) that this WeChat client does not make")
    return None
