"""A WeChat session that ended by itself: tell the operator (dashboard, optional webhook); a fresh QR follows.

Real web sessions end on their own after a day or three (synccheck retcode 1100), or when the phone logs the web
client out. The listener then shows a new QR code at once (wechat/bot/listener.py); this module says what happened, in
words for the dashboard, and posts it to SESSION_END_WEBHOOK_URL when one is set. That URL is an operator's choice
and goes through libs/netguard.py like every configured outgoing fetch. Plain functions, independent of the driver.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from libs import netguard

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 5.0


def describe_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


WHY = {
    "web": "web sessions end by themselves after one to three days, or when the phone logs the web client out",
    # GeWe's login docs: a new device is dropped once in its first night; a gateway login also ends when the phone
    # logs the device out or another login of the same kind replaces it.
    "gateway": "gateway logins are dropped by WeChat now and then (a new device once in its first night), or when "
               "the phone logs the device out",
}


def session_end_message(logged_in_at: float | None, now: float, kind: str = "web") -> str:
    lasted = f" after {describe_duration(now - logged_in_at)}" if logged_in_at else ""
    return (f"WeChat ended the session{lasted} ({WHY.get(kind, WHY['web'])}). "
            "Scan the new QR code to log in again.")


def notify_webhook(url: str, payload: dict[str, Any], policy: netguard.Policy | None = None,
                   timeout: float = WEBHOOK_TIMEOUT) -> bool:
    """POST `payload` as JSON to the operator's webhook (through the outgoing-fetch guard). False when refused or
    failed; never raises (a notification must not break the listener or a retry loop)."""
    if not url:
        return False
    try:
        response = netguard.fetch("POST", url, policy=policy, json=payload, timeout=timeout)
    except netguard.OutboundRefused as exc:
        logger.warning("session-end webhook refused: %s", exc)
        return False
    except requests.RequestException as exc:
        logger.warning("session-end webhook failed: %s", type(exc).__name__)
        return False
    if not 200 <= response.status_code < 300:
        logger.warning("session-end webhook answered HTTP %s", response.status_code)
        return False
    return True
