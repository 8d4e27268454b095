"""wxpy message handlers the runtime installs on every bot; later features add theirs through HANDLER_INSTALLERS."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from wechat.state import BotState

logger = logging.getLogger(__name__)

FRIEND_REQUEST_TTL = 3 * 24 * 3600

HANDLER_INSTALLERS: list[Callable[[object, BotState], None]] = []


def remember_friend_requests(bot, state: BotState) -> None:
    """Keep incoming friend requests in Redis so the dashboard can list and accept them."""
    from wxpy import FRIENDS

    @bot.register(msg_types=FRIENDS, except_self=False)
    def on_friend_request(msg):
        card = msg.card
        info = msg.raw.get("RecommendInfo", {})
        request = {
            "id": str(msg.id), "user_name": info.get("UserName") or getattr(card, "user_name", ""),
            "nick_name": info.get("NickName") or getattr(card, "nick_name", ""),
            "text": msg.text or info.get("Content", ""), "ticket": info.get("Ticket", ""), "time": time.time(),
        }
        key = state.key("friend_requests")
        state.client.hset(key, request["id"], json.dumps(request, ensure_ascii=False))
        state.client.expire(key, FRIEND_REQUEST_TTL)


def friend_requests(state: BotState) -> list[dict]:
    raw = state.client.hgetall(state.key("friend_requests"))
    return sorted((json.loads(v) for v in raw.values()), key=lambda r: r["time"], reverse=True)


def install_all(bot, state: BotState) -> None:
    for install in [remember_friend_requests, *HANDLER_INSTALLERS]:
        install(bot, state)
