"""Repairs that itchat 1.2.32 / wxpy 0.3.9.8 need on Python 3.11. Call ``apply()`` before using itchat.

Only genuine incompatibilities with today's Python belong here, each with a test in tests/test_wx_compat.py.
"""

from __future__ import annotations

import html

_applied = False


class _Unescaper:
    """Stand-in for the HTMLParser instance itchat keeps only for its ``unescape`` method."""

    @staticmethod
    def unescape(text: str) -> str:
        return html.unescape(text)


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
    _applied = True
