"""Matching patterns on text a WeChat user wrote: one length cap and a time budget, in one place.

Any member of any group the bot is in can send a 100,000-character message, and every group text goes through the
command parsers, the plugins' patterns and the auto-reply rules. Parsers of our own are written to run in linear
time (no backtracking regex over user text); patterns written by others (plugin authors, the operator's auto-reply
rules) run with the `regex` package's time-out, because a plain `re` search can be neither bounded nor interrupted
(not even by gevent). And whatever is matched is cut to `MAX_MATCHED_CHARS` first: commands and keywords are short,
and a cap turns even a quadratic pattern into a bounded cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import regex

logger = logging.getLogger(__name__)

MAX_MATCHED_CHARS = 4000  # the most of a message any pattern or command parser looks at
PATTERN_BUDGET_SECONDS = 0.05  # per message, for every plugin pattern together


def matchable(text: str | None) -> str:
    """The part of a message patterns are matched against."""
    return (text or "")[:MAX_MATCHED_CHARS]


def too_long_for_command(text: str | None) -> bool:
    """A command ("踢出 @name", a keyword) is never this long: longer text is plain chat, not parsed at all."""
    return len(text or "") > MAX_MATCHED_CHARS


class Budget:
    """A deadline shared by several searches on one message (time.monotonic based)."""

    def __init__(self, seconds: float = PATTERN_BUDGET_SECONDS) -> None:
        self.deadline = time.monotonic() + seconds
        self.exhausted = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def search(self, pattern: Any, text: str) -> bool:
        """Whether `pattern` (a `regex` pattern) is found in the capped `text`; False once the budget is spent."""
        left = self.remaining()
        if self.exhausted or left <= 0:
            self.exhausted = True
            return False
        try:
            return pattern.search(matchable(text), timeout=left) is not None
        except TimeoutError:
            self.exhausted = True
            logger.warning("pattern %r ran out of its time budget on a %d-character message; treated as no match",
                           getattr(pattern, "pattern", pattern), len(text))
            return False

    def any(self, patterns: Iterable[Any], text: str) -> bool:
        return any(self.search(pattern, text) for pattern in patterns)


_RE_TO_REGEX_FLAGS = {2: regex.IGNORECASE, 4: regex.LOCALE, 8: regex.MULTILINE, 16: regex.DOTALL,
                      32: regex.UNICODE, 64: regex.VERBOSE, 256: regex.ASCII}


def regex_flags(re_flags: int) -> int:
    """The `regex` flags equal to the stdlib `re` flags `re_flags` (their numeric values differ for ASCII)."""
    return sum(flag for bit, flag in _RE_TO_REGEX_FLAGS.items() if re_flags & bit)
