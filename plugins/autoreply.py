"""`autoreply`: keyword rules managed in the dashboard (/api/autoreplies); the matching is in wechat/autoreply.py."""

from __future__ import annotations

from typing import Any

from wechat import autoreply
from wechat.plugins.api import current_call


def incoming(msg: Any) -> autoreply.Incoming | None:
    """The message as the rules see it (None for chats rules never answer: MPs, the bot's own notes)."""
    chat = msg.chat
    kind = getattr(chat, "kind", None)  # the neutral message's chat says its kind (wechat/plugins/seam_message.py)
    if kind == "group":
        text = msg.text or ""
        if "@" in text:  # only then: the bot's own member (its group nickname) means building every member
            bot = msg.bot
            names = [bot.self.name, bot.self.nick_name]
            own = getattr(chat, "self", None)
            if own is not None:
                names.append(getattr(own, "display_name", None))
            text = autoreply.strip_mentions(text, names)
        return autoreply.Incoming(text=text.strip(), in_group=True, chat_puid=chat.puid, is_at=bool(msg.is_at))
    if kind == "friend":
        return autoreply.Incoming(text=(msg.text or "").strip(), in_group=False, chat_puid=chat.puid)
    return None


def rule_for(msg: Any) -> autoreply.Rule | None:
    """The rule that answers this message, if any (the llm plugin asks too, so a rule wins over the model)."""
    seen = incoming(msg)
    if seen is None:
        return None
    call = current_call()
    timeout = float(call.app.config.get("AUTOREPLY_REGEX_TIMEOUT", autoreply.DEFAULT_REGEX_TIMEOUT))

    def timed_out(rule: autoreply.Rule) -> None:
        if call.name == AutoReplyPlugin.name:
            call.report_error(f"rule {rule.id}: regex {rule.pattern!r} timed out after {timeout:g}s; skipped")

    return autoreply.first_match(autoreply.cached_rules(call.account_id), seen, timeout, timed_out)


class AutoReplyPlugin:
    name = "autoreply"
    description = "按关键字自动回复（规则在管理后台设置）。"
    msg_types = "Text"
    neutral = True  # reads the neutral message on every driver (docs/PLUGINS.md)

    @staticmethod
    def wanted(account_id: int) -> bool:
        """An account without an enabled rule answers nothing: no call (a greenlet, an app context) per message."""
        return bool(autoreply.cached_rules(account_id))

    @classmethod
    def main(cls, msg) -> str | None:
        rule = rule_for(msg)
        return rule.reply if rule is not None else None


def export():
    return AutoReplyPlugin
