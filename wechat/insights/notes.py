"""Joins and removals announced by WeChat's system notes (type 10000) in a group.

One parser for the automation and the insights: wechat/automation/notes.py (Chinese and English notes, linear).
"""

from __future__ import annotations

from wechat.automation.notes import parse_note, removed_names

__all__ = ["membership_changes", "removed_names"]


def membership_changes(note: str) -> tuple[str, list[str]] | None:
    """("join" | "leave", names) for a note that announces either, else None."""
    event = parse_note(note)
    if event is None or event.kind not in ("join", "leave"):
        return None
    return event.kind, event.names
