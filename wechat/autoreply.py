"""Auto-reply rules (the `autoreply` plugin): matching on plain data, validation, storage.

- `exact`: the message is the pattern (case-insensitive, surrounding spaces ignored); `contains`: the pattern occurs
  in it (case-insensitive); `regex`: the pattern is searched in it, case-insensitively, with the `regex` package's
  time-out, so a catastrophic pattern ("(a+)+$") costs at most the time-out instead of hanging the bot (a plain
  `re` search cannot be interrupted, not even by gevent). Compiling is not interruptible, so a regex is admitted
  only after libs/safe_regex.py bounded it (length, counted repeats, nested quantifiers, compile time); a stored
  rule that no longer passes (saved before the check existed) is skipped when the rules are loaded.
- Scope: `friends` (one-to-one chats), `groups` (every group), `all` (both) or `chosen` (the groups in
  `group_puids`). In groups a rule answers only when the bot is @-mentioned, unless its `require_at` is off.
- The first enabled rule that fits (lowest position, then id) answers; its `reply` is sent as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import regex
from pydantic import AfterValidator, ConfigDict, Field

from extensions import db
from libs.api_spec import Body, validate_model
from libs.column_types import ColumnInt, ColumnText, Text
from libs.safe_regex import PatternRefused, check_pattern, is_admissible
from libs.text_limits import matchable
from libs.validation import ValueInvalid
from models.plugin import AUTOREPLY_MODES, AUTOREPLY_SCOPES, AutoReplyRule
from models.wechat import PUID
from wechat.plugins.config_cache import VersionedCache

MAX_PATTERN = 500
MAX_REPLY = 2000
MAX_GROUPS = 200
DEFAULT_REGEX_TIMEOUT = 0.2


@dataclass(frozen=True)
class Rule:
    id: int
    mode: str
    pattern: str
    reply: str
    scope: str = "friends"
    group_puids: frozenset[str] = frozenset()
    require_at: bool = True


@dataclass(frozen=True)
class Incoming:
    text: str  # with the bot's @-mention removed
    in_group: bool
    chat_puid: str | None = None
    is_at: bool = False


def in_scope(rule: Rule, incoming: Incoming) -> bool:
    if not incoming.in_group:
        return rule.scope in ("friends", "all")
    if rule.scope == "friends" or (rule.scope == "chosen" and incoming.chat_puid not in rule.group_puids):
        return False
    return incoming.is_at or not rule.require_at


def matches(rule: Rule, text: str, timeout: float = DEFAULT_REGEX_TIMEOUT) -> bool:
    """Raises TimeoutError when a regex takes longer than `timeout`."""
    if rule.mode == "exact":
        return text.strip().casefold() == rule.pattern.strip().casefold()
    if rule.mode == "contains":
        return rule.pattern.casefold() in text.casefold()
    # exact/contains are linear in the text; a regex sees only the capped part (libs/text_limits.py)
    return regex.search(rule.pattern, matchable(text), flags=regex.IGNORECASE, timeout=timeout) is not None


def first_match(rules: Iterable[Rule], incoming: Incoming, timeout: float = DEFAULT_REGEX_TIMEOUT,
                on_timeout: Callable[[Rule], None] | None = None) -> Rule | None:
    for rule in rules:
        if not in_scope(rule, incoming):
            continue
        try:
            if matches(rule, incoming.text, timeout):
                return rule
        except TimeoutError:
            if on_timeout is not None:
                on_timeout(rule)
    return None


def strip_mentions(text: str, names: Iterable[str]) -> str:
    """Remove "@<bot name>" (followed by WeChat's U+2005 or a space) from a group message."""
    for name in {n for n in names if n}:
        text = re.sub("@" + re.escape(name) + r"(?:\u2005| |$)", " ", text)
    return text.strip()


# -- validation ----------------------------------------------------------------------------------------------------
def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueInvalid("", "must not be blank")
    return value


class RuleChanges(Body):
    """Changes to an auto-reply rule (any subset of its fields)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    mode: Literal[AUTOREPLY_MODES] = None  # type: ignore[valid-type]
    pattern: Annotated[ColumnText(AutoReplyRule.pattern, min_length=1), AfterValidator(_nonblank)] = None
    reply: Annotated[Text(MAX_REPLY, min_length=1), AfterValidator(_nonblank)] = None
    scope: Literal[AUTOREPLY_SCOPES] = None  # type: ignore[valid-type]
    group_puids: Annotated[list[Text(PUID, min_length=1, strip=True)], Field(max_length=MAX_GROUPS)] = None
    require_at: bool = None
    enabled: bool = None
    position: ColumnInt(AutoReplyRule.position) = None


class NewRule(RuleChanges):
    """A new auto-reply rule: `mode`, `pattern` and `reply` are required."""

    mode: Literal[AUTOREPLY_MODES]  # type: ignore[valid-type]
    pattern: Annotated[ColumnText(AutoReplyRule.pattern, min_length=1), AfterValidator(_nonblank)]
    reply: Annotated[Text(MAX_REPLY, min_length=1), AfterValidator(_nonblank)]


FIELDS = tuple(RuleChanges.model_fields)


def validate(data: Any, current: dict[str, Any] | None = None,
             budget: float = DEFAULT_REGEX_TIMEOUT) -> dict[str, Any]:
    """Check a new rule (current=None) or changes to a rule (`current` = its values); returns the fields to store;
    raises ValueInvalid. `budget` is the match time-out: a regex must also compile within it."""
    out = validate_model(NewRule if current is None else RuleChanges, data).model_dump(exclude_unset=True)
    if "group_puids" in out:
        out["group_puids"] = list(dict.fromkeys(out["group_puids"]))
    merged = {**(current or {}), **out}
    if merged.get("mode") == "regex":
        try:
            check_pattern(merged["pattern"], flags=regex.IGNORECASE, budget=budget, max_length=MAX_PATTERN)
        except PatternRefused as exc:
            raise ValueInvalid("pattern", str(exc)) from None
    if merged.get("scope") == "chosen" and not merged.get("group_puids"):
        raise ValueInvalid("group_puids", "scope 'chosen' needs at least one group id")
    return out


# -- storage -------------------------------------------------------------------------------------------------------
def rows(account_id: int) -> list[AutoReplyRule]:
    query = (db.select(AutoReplyRule).where(AutoReplyRule.account_id == account_id)
             .order_by(AutoReplyRule.position, AutoReplyRule.id))
    return list(db.session.execute(query).scalars())


def to_rule(row: AutoReplyRule) -> Rule:
    return Rule(id=row.id, mode=row.mode, pattern=row.pattern, reply=row.reply, scope=row.scope,
                group_puids=frozenset(row.group_puids or ()), require_at=row.require_at)


def load_rules(account_id: int) -> list[Rule]:
    return [to_rule(row) for row in rows(account_id)
            if row.enabled and (row.mode != "regex" or is_admissible(row.pattern, budget=float("inf")))]


_rules = VersionedCache(load_rules)


def cached_rules(account_id: int) -> list[Rule]:
    """The enabled rules, read from SQL only after a rule changed (wechat/plugins/config_cache.py): a message costs
    no query unless it is answered."""
    return _rules.get(account_id)


def as_dict(row: AutoReplyRule) -> dict[str, Any]:
    return {
        "id": row.id, "position": row.position, "mode": row.mode, "pattern": row.pattern, "reply": row.reply,
        "scope": row.scope, "group_puids": list(row.group_puids or []), "require_at": row.require_at,
        "enabled": row.enabled, "updated_by": row.updated_by,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
