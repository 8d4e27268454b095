"""Which plugins a message is for: plain data in, plugin specs out (no WeChat, no Flask).

The rules, in order:
1. a message that is a group-invite keyword (automation `group_patterns`) goes to no plugin: the invite rule owns it;
2. when an enabled exclusive plugin's pattern matches, every other plugin is out for this message (from the first
   message on: exclusivity is decided here, not remembered after a plugin has run);
3. a plugin runs when the message type and chat fit, the sender is not the bot (unless `except_self` is off), no
   `exclude_patterns` matches, and one of its `patterns` matches (or it has none).
Patterns are searched in `text.lower()` (see spec.py for why they are also case-insensitive), cut to
libs.text_limits.MAX_MATCHED_CHARS, and all the searches for one message share one time budget: a pattern that runs
out of it counts as not matching (logged), so no message can hold the bot's loop for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from libs.text_limits import Budget, matchable
from wechat.plugins.spec import PluginSpec


@dataclass(frozen=True)
class MessageView:
    text: str
    msg_type: str  # wxpy type name, e.g. "Text"
    chat: Any = None
    is_self: bool = False


def any_match(patterns: Iterable, text: str, budget: Budget | None = None) -> bool:
    return (budget or Budget()).any(patterns, text)


def chat_fits(chat: Any, chats: tuple[Any, ...] | None) -> bool:
    """`chats` holds chat classes (Friend, Group...), chat objects, or puids."""
    if chats is None:
        return True
    for wanted in chats:
        if isinstance(wanted, type):
            if isinstance(chat, wanted):
                return True
        elif isinstance(wanted, str):
            if getattr(chat, "puid", None) == wanted:
                return True
        elif chat is wanted or chat == wanted:
            return True
    return False


def plugin_fits(plugin: PluginSpec, message: MessageView, lowered: str, budget: Budget | None = None) -> bool:
    if plugin.except_self and message.is_self:
        return False
    if plugin.msg_types is not None and message.msg_type.lower() not in plugin.msg_types:
        return False
    if not chat_fits(message.chat, plugin.chats):
        return False
    if plugin.exclude_patterns and any_match(plugin.exclude_patterns, lowered, budget):
        return False
    return plugin.patterns is None or any_match(plugin.patterns, lowered, budget)


def select_plugins(plugins: Sequence[PluginSpec], message: MessageView, invite_keyword: bool = False
                   ) -> list[PluginSpec]:
    """The enabled `plugins` (in order) that should get this message."""
    if invite_keyword:
        return []
    lowered = matchable(message.text).lower()
    budget = Budget()
    claimed = [p for p in plugins if p.exclusive and p.patterns and any_match(p.patterns, lowered, budget)]
    candidates = claimed or plugins
    return [p for p in candidates if plugin_fits(p, message, lowered, budget)]
