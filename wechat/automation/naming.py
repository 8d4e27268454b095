"""Numbered groups from a name template such as "Python✌{}群": which groups belong to it, which has room, and
the next number.

Group names are parsed exactly (prefix, a number without leading zeros, suffix), never searched by substring the
way wxpy's `search()` does: "Python✌1群2" and "Python✌10群" are not "Python✌1群".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_GROUP_SIZE = 500


@dataclass(frozen=True)
class GroupInfo:
    """What the rules need to know about a group (built from the live bot by the handlers)."""

    puid: str
    name: str
    size: int
    member_puids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NumberedGroup:
    number: int
    group: GroupInfo


def _regex(template: str) -> re.Pattern[str]:
    prefix, _, suffix = template.partition("{}")
    return re.compile(re.escape(prefix) + r"([1-9][0-9]{0,5})" + re.escape(suffix))


def number_of(name: str, template: str) -> int | None:
    """The group number when `name` is exactly `template` with a number in place of {}, else None."""
    match = _regex(template).fullmatch(name)
    return int(match.group(1)) if match else None


def name_for(template: str, number: int) -> str:
    return template.replace("{}", str(number))


def numbered(groups: Iterable[GroupInfo], template: str) -> list[NumberedGroup]:
    """The groups that follow the template, lowest number first (ties: by puid, so the order is stable)."""
    found = [NumberedGroup(n, g) for g in groups if (n := number_of(g.name, template)) is not None]
    return sorted(found, key=lambda item: (item.number, item.group.puid))


def with_room(groups: list[NumberedGroup], cap: int = MAX_GROUP_SIZE) -> NumberedGroup | None:
    """The lowest-numbered group that can take one more member."""
    return next((item for item in groups if item.group.size < cap), None)


def next_number(groups: list[NumberedGroup]) -> int:
    """One above the highest number in use (1 when there is none): numbers are never reused."""
    return max((item.number for item in groups), default=0) + 1
