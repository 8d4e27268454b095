"""`llm`: chat replies from any OpenAI-compatible chat-completions endpoint.

- Friends get an answer to every text; groups only when the bot is @-mentioned. A message an auto-reply rule
  answers is left to that rule.
- Short memory per chat in Redis: the last `memory_turns` exchanges, forgotten `memory_ttl` seconds after the last
  one. Per-chat rate limit (`rate_limit_per_minute`): over it the bot stays silent (fewer sends, less risk).
- When the endpoint fails (time-out, HTTP error, a body that is not a chat completion) the chat gets
  `fallback_text` and the failure is reported as the plugin's last error.
- The API key is a secret: set it in the dashboard or as PLUGIN_LLM_API_KEY. The environment's key goes only to
  the environment's endpoint (PLUGIN_LLM_BASE_URL, also the default `base_url`); a `base_url` changed in the
  dashboard gets no key unless the key is entered with it (wechat/plugins/settings.py, secret_bindings).
- Requests go through libs/netguard.py: the endpoint must be a public http(s) address (checked when saved, and
  again when connecting) unless OUTBOUND_ALLOW_HOSTS / OUTBOUND_ALLOW_NETS allow it; redirects are not followed.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

from libs import netguard
from libs.validation import ValueInvalid
from plugins.autoreply import rule_for
from wechat import autoreply
from wechat.plugins.api import PluginCall, current_call

logger = logging.getLogger(__name__)


class EndpointError(Exception):
    pass


def remember(call: PluginCall, chat_puid: str, entries: list[dict[str, str]]) -> None:
    key = call.key(f"memory:{chat_puid}")
    keep = max(0, int(call.settings["memory_turns"])) * 2
    pipe = call.state.client.pipeline()
    for entry in entries:
        pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
    pipe.ltrim(key, -keep if keep else 1, -1)
    if not keep:
        pipe.delete(key)
    pipe.expire(key, max(1, int(call.settings["memory_ttl"])))
    pipe.execute()


def memory(call: PluginCall, chat_puid: str) -> list[dict[str, str]]:
    keep = max(0, int(call.settings["memory_turns"])) * 2
    if not keep:
        return []
    return [json.loads(item) for item in call.state.client.lrange(call.key(f"memory:{chat_puid}"), -keep, -1)]


def within_rate(call: PluginCall, chat_puid: str, now: float | None = None) -> bool:
    limit = int(call.settings["rate_limit_per_minute"])
    if limit <= 0:
        return True
    key = call.key(f"rate:{chat_puid}:{int((now or time.time()) // 60)}")
    pipe = call.state.client.pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    count, _ = pipe.execute()
    return count <= limit


def complete(settings: dict[str, Any], messages: list[dict[str, str]], timeout: float,
             policy: netguard.Policy | None = None) -> str:
    """`settings` are the effective ones: the key in them is already the one that may go to this base_url."""
    base_url = settings["base_url"].rstrip("/")
    if not base_url:
        raise EndpointError("no base_url set")
    headers = {"Content-Type": "application/json"}
    if settings.get("api_key"):
        headers["Authorization"] = f"Bearer {settings['api_key']}"
    body = {"model": settings["model"], "messages": messages, "max_tokens": int(settings["max_tokens"])}
    try:
        response = netguard.fetch("POST", f"{base_url}/chat/completions", policy=policy, json=body,
                                  headers=headers, timeout=timeout)
    except netguard.OutboundRefused as exc:
        raise EndpointError(f"refused: {exc}") from None
    except requests.RequestException as exc:
        raise EndpointError(f"request failed: {type(exc).__name__}") from None
    if response.is_redirect:
        raise EndpointError("the endpoint answered with a redirect, which is not followed")
    if response.status_code != 200:
        raise EndpointError(f"HTTP {response.status_code}")
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise EndpointError("the answer is not a chat completion") from None
    if not isinstance(content, str) or not content.strip():
        raise EndpointError("empty completion")
    return content.strip()


class LLMPlugin:
    name = "llm"
    description = "AI 聊天：私聊直接提问，群里 @我 提问。"
    msg_types = "Text"
    neutral = True  # reads the neutral message on every driver (docs/PLUGINS.md)
    enabled = False  # needs an endpoint first
    settings = {
        "base_url": "",
        "model": "gpt-4o-mini",
        "api_key": "",
        "system_prompt": "你是一个友好、简洁的微信群助手。",
        "timeout": 10.0,
        "max_tokens": 512,
        "memory_turns": 6,
        "memory_ttl": 3600,
        "rate_limit_per_minute": 6,
        "fallback_text": "抱歉，我暂时无法回答，请稍后再试。",
    }
    secrets = ("api_key",)
    secret_bindings = {"api_key": "base_url"}
    # Checked when an admin saves (wechat/plugins/settings.py): a max_tokens of 10**18 is a bill, not a setting.
    limits = {"timeout": (0.1, 120), "max_tokens": (1, 32768), "memory_turns": (0, 50),
              "memory_ttl": (1, 7 * 24 * 3600), "rate_limit_per_minute": (0, 600)}

    @staticmethod
    def validate_settings(values: dict[str, Any]) -> None:
        if values["base_url"]:
            try:
                netguard.check_url(values["base_url"])
            except netguard.OutboundRefused as exc:
                raise ValueInvalid("settings.base_url", f"is refused: {exc}") from None
        if not 0 < values["timeout"] <= 120:
            raise ValueError("timeout must be between 0 and 120 seconds")
        if values["memory_turns"] < 0 or values["memory_ttl"] < 1 or values["max_tokens"] < 1:
            raise ValueError("memory_turns must be >= 0, memory_ttl and max_tokens >= 1")

    @classmethod
    def main(cls, msg) -> str | None:
        chat = msg.chat
        kind = getattr(chat, "kind", None)  # the neutral message's chat (wechat/plugins/seam_message.py)
        if kind == "group":
            if not msg.is_at:
                return None
            bot = msg.bot
            text = autoreply.strip_mentions(msg.text or "", [bot.self.name, bot.self.nick_name])
            member = msg.member
            speaker = member.name if member is not None else ""
        elif kind == "friend":
            text, speaker = (msg.text or "").strip(), ""
        else:
            return None
        if not text or rule_for(msg) is not None:
            return None
        call = current_call()
        if not within_rate(call, chat.puid):
            logger.info("llm: rate limit reached in %s; not answering", chat.puid)
            return None
        question = {"role": "user", "content": f"{speaker}: {text}" if speaker else text}
        messages = [{"role": "system", "content": call.settings["system_prompt"]}, *memory(call, chat.puid), question]
        # Leave a second of the plugin's time limit for sending the reply.
        timeout = max(0.5, min(float(call.settings["timeout"]), call.time_limit - 1))
        try:
            answer = complete(call.settings, messages, timeout, netguard.Policy.from_settings(call.app.config))
        except EndpointError as exc:
            call.report_error(f"endpoint failed: {exc}")
            return call.settings["fallback_text"]
        remember(call, chat.puid, [question, {"role": "assistant", "content": answer}])
        return answer


def export():
    return LLMPlugin
