"""The set-based diff behind every sync: what to insert, update and remove, computed in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Diff:
    insert: list[Any] = field(default_factory=list)  # keys only in the fresh data
    update: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)  # (key, changed fields)
    remove: list[Any] = field(default_factory=list)  # keys only in the stored data
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return len(self.insert) + len(self.update) + len(self.remove)


def diff_rows(stored: Mapping[Any, Mapping[str, Any]], fresh: Mapping[Any, Mapping[str, Any]],
              fields: Iterable[str]) -> Diff:
    """Compare rows by key on the given fields. Rows in both with equal fields are left alone."""
    fields = tuple(fields)
    result = Diff()
    for key, row in fresh.items():
        old = stored.get(key)
        if old is None:
            result.insert.append(key)
            continue
        changed = {name: row[name] for name in fields if name in row and old.get(name) != row[name]}
        if changed:
            result.update.append((key, changed))
        else:
            result.unchanged += 1
    result.remove = [key for key in stored if key not in fresh]
    return result
