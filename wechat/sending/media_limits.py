"""What WeChat lets the bot send, per driver: refused before sending, with the reason, instead of failing half-way.

itchat (web WeChat): the web client's limits (wechaty puppet-wechat `uploadMedia`, taken from webwxApp.js): an upload
above 25 MB needs a Signature from webwxcheckupload first, files stop at 100 MB and videos at 20 MB. itchat never
calls webwxcheckupload, so through it nothing above 25 MB can be sent at all.

padpro (the iPad-protocol gateway): images travel base64-encoded inside one JSON request (SendImageNewMessage);
none of the recorded clients states a cap, so the driver keeps to the sandbox gateway face's 20 MB (a choice,
docs/SANDBOX.md), and files are not sent at all (the capability is missing). The 100 MB / 20 MB caps of WeChat
itself apply to both.
"""

from __future__ import annotations

MB = 1024 * 1024
CHECKUPLOAD_ABOVE = 25 * MB
MAX_FILE = 100 * MB
MAX_VIDEO = 20 * MB
GATEWAY_MAX_IMAGE = 20 * MB  # the gateway face's cap (sandbox/gateway/messages.py MAX_IMAGE_BYTES)


def send_refusal(kind: str, size: int, name: str = "", checkupload: bool = False,
                 driver: str = "itchat") -> str | None:
    """Why WeChat would not take this upload (`kind`: image | emoticon | video | file), or None.

    `checkupload`: whether the driver makes the webwxcheckupload call that uploads above 25 MB need (itchat: no).
    `driver`: the active driver's name; an unknown one gets the web limits (the stricter ones).
    """
    label = f"{name!r} " if name else ""
    if kind == "video" and size > MAX_VIDEO:
        return f"the video {label}is {size / MB:.1f} MB; WeChat sends videos of at most 20 MB"
    if size > MAX_FILE:
        return f"the file {label}is {size / MB:.1f} MB; WeChat sends files of at most 100 MB"
    if driver == "padpro":
        if kind == "image" and size > GATEWAY_MAX_IMAGE:
            return (f"the image {label}is {size / MB:.1f} MB; the gateway driver sends images of at most 20 MB "
                    "(the image travels base64-encoded in one request)")
        return None
    if size > CHECKUPLOAD_ABOVE and not checkupload:
        return (f"the file {label}is {size / MB:.1f} MB; above 25 MB web WeChat needs a pre-upload check "
                "(webwxcheckupload) that this WeChat client does not make")
    return None
