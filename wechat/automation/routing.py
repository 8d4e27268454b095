"""Where MP articles and relayed group messages go, and what a relayed message says."""

from __future__ import annotations

from typing import Any


def mp_targets(mp_forwarding: list[dict[str, Any]], mp_puid: str) -> list[str]:
    """The groups an MP's articles go to (several rules for one MP add up; each group once, in order)."""
    targets: list[str] = []
    for rule in mp_forwarding:
        if rule["mp"] == mp_puid:
            targets.extend(g for g in rule["groups"] if g not in targets)
    return targets


def relay_targets(relay_sets: list[list[str]], group_puid: str) -> list[str]:
    """Every other group that shares a relay set with this one (never the group itself)."""
    targets: list[str] = []
    for members in relay_sets:
        if group_puid in members:
            targets.extend(g for g in members if g != group_puid and g not in targets)
    return targets


def relay_text(sender_name: str, text: str) -> str:
    return f"{sender_name}: {text}" if text else f"{sender_name}:"


def article_text(articles: list[tuple[str, str]]) -> str:
    """An MP push as text: each article's title and link (web WeChat cannot re-share an MP card)."""
    return "\n\n".join(f"{title}\n{url}" if url else title for title, url in articles if title or url)
