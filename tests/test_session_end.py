"""Telling the operator a WeChat session ended by itself (wechat/bot/session_end.py)."""

from __future__ import annotations

from libs import netguard
from wechat.bot.session_end import describe_duration, notify_webhook, session_end_message


def test_the_message_says_how_long_the_session_lasted_and_what_to_do():
    assert describe_duration(2 * 86400 + 3 * 3600 + 59) == "2 d 3 h"
    assert describe_duration(3 * 3600 + 120) == "3 h 2 min"
    message = session_end_message(1000.0, 1000.0 + 50 * 3600)
    assert "ended the session after 2 d 2 h" in message and "Scan the new QR code" in message
    assert "after" not in session_end_message(None, 5.0).split("(")[0]


def test_the_webhook_goes_through_the_outgoing_fetch_guard():
    # An operator's URL pointing at the service's own machine is refused unless allowed (OUTBOUND_ALLOW_*).
    strict = netguard.Policy.from_settings({})
    assert notify_webhook("http://127.0.0.1:9/hook", {"event": "x"}, policy=strict) is False
    assert notify_webhook("file:///etc/passwd", {"event": "x"}, policy=strict) is False
    assert notify_webhook("", {"event": "x"}) is False
