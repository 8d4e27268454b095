"""What WeChat's answers to group operations mean, as plain data: part of the seam, so every driver (and the
product's command layer, for a driver that reports raw codes) reads them the same way.

Recorded shapes (docs/SANDBOX.md cites them):
- a failed creation is Ret 0 with an ``<e>…</e>`` XML in ErrMsg and an empty ChatRoomName (wxpy issues 49, 258;
  wechat4u issue 248): "success" on its face;
- the limit on group operations is Ret 1 "操作太频繁，请稍后再试。" (ItChat issue 560: two or three new groups an
  hour), besides the 1205 sends get;
- removing members answers Ret 1 with an empty ErrMsg even for the owner (ItChat issues 877, 923).
"""

from __future__ import annotations

import re

RATE_LIMIT_CODE = 1205
_TOO_FREQUENT = re.compile(r"操作太频繁|频率过快|过于频繁|too frequent", re.IGNORECASE)
# Bounded: ErrMsg is whatever the server (or something in between) sent.
_E_CONTENT = re.compile(r"<Content>\s*<!\[CDATA\[([^\]]{0,300})\]\]>\s*</Content>")

RATE_LIMITED = ("WeChat says group operations are too frequent (it allows about two or three new groups an hour); "
                "try again later")
REMOVAL_REFUSED = ("WeChat refused to remove the members (code {code}): web WeChat refuses this at times even for the "
                   "group owner; remove them on the phone")


def _text(*messages: object) -> str:
    return " ".join(str(m) for m in messages if m)[:2000]


def group_op_error(operation: str, ret: object, *messages: object, chat_room_name: str | None = None
                   ) -> tuple[str, str] | None:
    """(error code, message) for an answer to `operation` ("create", "add", "remove", "rename"), or None when it
    worked. Codes: rate_limited (the driver raises RateLimited, backed off like sends) or wechat_error (Rejected)."""
    try:
        code = int(ret)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        code = -1
    text = _text(*messages)
    if code == RATE_LIMIT_CODE or (code != 0 and _TOO_FREQUENT.search(text)):
        return "rate_limited", RATE_LIMITED
    if operation == "create" and code == 0 and not chat_room_name:
        reason = _E_CONTENT.search(text)
        if reason and _TOO_FREQUENT.search(reason.group(1)):
            return "rate_limited", RATE_LIMITED
        detail = reason.group(1).strip() if reason else "no group id in the answer"
        return "wechat_error", f"WeChat did not create the group: {detail}"
    if code == 0:
        return None
    if operation == "remove":
        return "wechat_error", REMOVAL_REFUSED.format(code=code)
    return "wechat_error", f"WeChat refused the group operation (code {code}): {text}".strip()
