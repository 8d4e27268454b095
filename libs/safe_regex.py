"""Admission control for regular expressions an operator or token holder supplies (auto-reply rules).

Matching already runs under the `regex` package's time-out, but compiling does not: `a{10000000}` costs gigabytes
and seconds before a single message is matched, and `(?:a{1000}){1000}` still costs 0.4 s. So a pattern is parsed
before it is ever compiled and refused when:
- it is longer than `max_length` characters;
- a counted repeat (`{m}`, `{m,n}`, `{m,}`) is above `max_repeat`, or nested counted repeats multiply beyond it
  (the compiled program grows with the product);
- a repeat directly repeats something that is itself only repeats (`(a+)+`, `(a*b*)*`, `(\\s*\\w+)*`): the shape of
  catastrophic backtracking that a parse can see (others are still cut short by the match time-out);
- it uses syntax outside Python's `re` plus `\\p{...}` / `\\P{...}` / `\\X` / `\\N{...}` (fuzzy matching and the
  other `regex` extensions have costs this parse cannot bound).
Then it is compiled with a stopwatch: a pattern whose compile took longer than the match time-out is refused too,
so a stored pattern never costs more than that.
"""

from __future__ import annotations

import re
import time
from re import _constants as C  # noqa: N812 (the parser's opcode names)
from re import _parser

import regex

MAX_LENGTH = 500
MAX_REPEAT = 1000
# `regex`-only escapes that stand for one character (class): replaced by "." for the structural parse.
_REGEX_ONLY_ESCAPES = re.compile(r"\\(?:[pP]\{[^{}]{1,60}\}|[pP][A-Za-z]|N\{[^{}]{1,100}\}|X)")
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_GROUPS = (C.SUBPATTERN, C.ATOMIC_GROUP)


class PatternRefused(ValueError):
    """Why a pattern is not accepted (a sentence for the API's 400 answer)."""


def _count(low: int, high: int) -> int:
    return low if high == C.MAXREPEAT else high


def _is_repeat(item) -> bool:
    """A repeat whose count varies (`a+`, `a{2,5}`): the one that can give the same text back in many splits."""
    op, av = item
    return op in _REPEATS and av[1] > 1 and av[0] != av[1]


def _only_repeats(body) -> bool:
    """True when every item of a sequence is a repeat or optional, so the outer repeat can split input many ways."""
    items = list(body)
    while len(items) == 1 and items[0][0] in _GROUPS:
        items = list(items[0][1][-1])
    if not items:
        return False
    return all(_is_repeat(item) or (item[0] in _REPEATS and item[1][0] == 0) for item in items) and any(
        _is_repeat(item) for item in items)


def _children(op, av):
    if op in _REPEATS:
        return [av[2]]
    if op in _GROUPS:
        return [av[-1]]
    if op == C.BRANCH:
        return list(av[1])
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [av[1]]
    if op == C.GROUPREF_EXISTS:
        return [branch for branch in av[1:] if branch is not None]
    return []


def _walk(pattern, multiplier: int, max_repeat: int) -> None:
    for op, av in pattern:
        factor = 1
        if op in _REPEATS:
            low, high = av[0], av[1]
            if low > max_repeat or (high != C.MAXREPEAT and high > max_repeat):
                raise PatternRefused(f"a counted repeat is above {max_repeat}")
            factor = max(1, _count(low, high))
            if multiplier * factor > max_repeat:
                raise PatternRefused(f"nested counted repeats multiply beyond {max_repeat}")
            if high > 1 and low != high and _only_repeats(av[2]):
                raise PatternRefused("a repeat of a repeat (such as (a+)+) can take exponential time; "
                                     "remove the inner or the outer quantifier")
        for child in _children(op, av):
            _walk(child, multiplier * factor, max_repeat)


def check_pattern(pattern: str, flags: int = regex.IGNORECASE, budget: float = 0.2,
                  max_length: int = MAX_LENGTH, max_repeat: int = MAX_REPEAT) -> regex.Pattern:
    """Parse, bound and compile `pattern`; returns the compiled pattern or raises PatternRefused."""
    if not isinstance(pattern, str):
        raise PatternRefused("must be a string")
    if len(pattern) > max_length:
        raise PatternRefused(f"is longer than {max_length} characters")
    try:
        parsed = _parser.parse(_REGEX_ONLY_ESCAPES.sub(".", pattern), re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise PatternRefused(f"is not a supported regular expression ({exc})") from None
    _walk(parsed, 1, max_repeat)
    started = time.perf_counter()
    try:
        compiled = regex.compile(pattern, flags=flags)
    except (regex.error, RecursionError, OverflowError) as exc:
        raise PatternRefused(f"is not a valid regular expression ({exc})") from None
    if time.perf_counter() - started > budget:
        raise PatternRefused(f"takes longer than {budget:g} s to compile")
    return compiled


def is_admissible(pattern: str, budget: float = 0.2) -> bool:
    try:
        check_pattern(pattern, budget=budget)
    except PatternRefused:
        return False
    return True
