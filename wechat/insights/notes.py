"""Joins and removals announced by WeChat's system notes (type 10000) in a group.

Joins are parsed by the automation's parser (wechat/automation/notes.py). Removals read as
    你将"Y"移出了群聊          the bot removed Y
    "X"将"Y"移出了群聊         the owner X removed Y (seen by the bot as a member... or an admin)
Names may contain quotes, so the patterns anchor on the fixed words; several names are joined by "、".
"""

from __future__ import annotations

import re

from wechat.automation.notes import joined_names

_REMOVED = re.compile(r'^(?:你|".+")将"(?P<names>.+)"移出了群聊$')


def removed_names(note: str) -> list[str]:
    """The nick names a removal note announces ([] for any other note)."""
    match = _REMOVED.match((note or "").strip())
    if not match:
        return []
    return [name for name in match.group("names").split('"、"') if name]


def membership_changes(note: str) -> tuple[str, list[str]] | None:
    """("join" | "leave", names) for a note that announces either, else None."""
    names = joined_names(note)
    if names:
        return "join", names
    names = removed_names(note)
    if names:
        return "leave", names
    return None
