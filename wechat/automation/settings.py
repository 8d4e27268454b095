"""Automation settings per account: zh-CN defaults, strict validation, and storage in SQL.

The stored JSON holds only what an admin set; readers always get the effective settings (defaults merged), so a
new setting added later has a value for every account without a migration.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from extensions import db
from libs import text_template
from libs.validation import ValueInvalid, check_text
from models.automation import AutomationSettings
from models.wechat import PUID
from wechat.plugins.config_cache import VersionedCache

# Placeholders each text may use (anything else is refused when saving, instead of failing when the bot sends it).
TEXT_FIELDS: dict[str, frozenset[str]] = {
    "invite_text": frozenset(),
    "new_group_announcement": frozenset({"group"}),
    "already_member_reply": frozenset({"group"}),
    "welcome_text": frozenset({"name"}),
    "kick_text": frozenset({"member", "current", "total", "period"}),
    "kicked_text": frozenset({"member"}),
    "blacklist_reply": frozenset(),
}
MAX_TEXT = 1000
MAX_PATTERNS = 50
MAX_GROUPS_PER_RULE = 100
MAX_ID = PUID  # ids end up in send-job rows (send_job_items.recipient_puid)
MAX_PERIOD_MINUTES = 7 * 24 * 60
MAX_KEYWORD = 40
MAX_GROUP_TEMPLATE = 60  # a group name: the bot creates groups named from it
# Whole-number settings: (lowest, highest). The dashboard's form takes its min/max from here (wechat/form_bounds.py).
INT_RANGES: dict[str, tuple[int, int]] = {"kick_quorum": (2, 500), "kick_period_minutes": (1, MAX_PERIOD_MINUTES)}

DEFAULTS: dict[str, Any] = {
    "auto_accept": True,
    "invite_text": "你好，我是群助手🤖。回复关键字即可加入对应的群，例如回复「python」加入 Python 交流群。",
    "group_patterns": [],
    "group_creators": [],
    "new_group_announcement": "欢迎来到新群「{group}」🎉 请先阅读群公告，文明交流。",
    "already_member_reply": "你已经在「{group}」里啦，不用再加入了😊",
    # "\u2005" is the narrow space WeChat itself puts after an @mention.
    "welcome_text": "@{name}\u2005欢迎加入本群👏 请先阅读群公告，文明交流。",
    "kick_quorum": 5,
    "kick_period_minutes": 10,
    "kick_text": "投票将 {member} 移出本群：{current}/{total}，{period} 分钟内有效。",
    "kicked_text": "{member} 已被投票移出本群，并加入黑名单。",
    "blacklist_reply": "抱歉，你已被列入黑名单，无法再加入群聊。",
    "mp_forwarding": [],
    "relay_sets": [],
}


class SettingsInvalid(ValueError):
    """A setting has a bad value; `field` names it (e.g. "group_patterns[1][0]") for the API's 400 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)


def effective(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the stored values (unknown keys left over from older versions are dropped)."""
    merged = defaults()
    merged.update({k: copy.deepcopy(v) for k, v in (stored or {}).items() if k in DEFAULTS})
    return merged


# -- validation ----------------------------------------------------------------------------------------------------
def _id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_ID:
        raise SettingsInvalid(field, f"must be a contact or group id (a non-empty string of at most {MAX_ID})")
    return _checked(value.strip(), field, MAX_ID)


def _ids(value: Any, field: str, max_items: int = MAX_GROUPS_PER_RULE) -> list[str]:
    if not isinstance(value, list) or len(value) > max_items:
        raise SettingsInvalid(field, f"must be a list of at most {max_items} ids")
    ids = [_id(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if len(set(ids)) != len(ids):
        raise SettingsInvalid(field, "lists the same id twice")
    return ids


def _checked(value: Any, field: str, max_length: int, display_name: bool = False) -> str:
    try:
        return check_text(value, field, max_length, display_name)
    except ValueInvalid as exc:
        raise SettingsInvalid(field, exc.message) from None


def _text(value: Any, field: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise SettingsInvalid(field, f"must be a string of at most {MAX_TEXT} characters")
    try:
        return text_template.check(_checked(value, field, MAX_TEXT), allowed)
    except text_template.TemplateInvalid as exc:
        raise SettingsInvalid(field, str(exc)) from None


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsInvalid(field, f"must be a whole number from {low} to {high}")
    return value


def _template(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_GROUP_TEMPLATE:
        raise SettingsInvalid(field, f"must be a group name template of at most {MAX_GROUP_TEMPLATE} characters")
    if value.count("{}") != 1 or value.replace("{}", "").count("{") or value.replace("{}", "").count("}"):
        raise SettingsInvalid(field, "must contain {} exactly once (where the group number goes) and no other braces")
    return _checked(value, field, MAX_GROUP_TEMPLATE, display_name=True)  # the names of the groups the bot creates


def _patterns(value: Any, field: str) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise SettingsInvalid(field, f"must be a list of at most {MAX_PATTERNS} [keyword, name template] pairs")
    result = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise SettingsInvalid(f"{field}[{i}]", "must be a pair [keyword, name template]")
        keyword = pair[0]
        if not isinstance(keyword, str) or not keyword.strip() or len(keyword) > MAX_KEYWORD:
            raise SettingsInvalid(f"{field}[{i}][0]", f"the keyword must be a non-empty string (at most {MAX_KEYWORD})")
        keyword = _checked(keyword.strip(), f"{field}[{i}][0]", MAX_KEYWORD)
        result.append([keyword, _template(pair[1], f"{field}[{i}][1]")])
    keywords = [k.casefold() for k, _ in result]
    if len(set(keywords)) != len(keywords):
        raise SettingsInvalid(field, "two patterns have the same keyword")
    return result


def _creators(value: Any, field: str) -> list[str]:
    ids = _ids(value, field, max_items=40)
    if len(ids) == 1:
        raise SettingsInvalid(field, "WeChat needs at least two other members to create a group: give 0 or ≥ 2 ids")
    return ids


def _mp_forwarding(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise SettingsInvalid(field, f"must be a list of at most {MAX_PATTERNS} {{\"mp\", \"groups\"}} objects")
    rules = []
    for i, rule in enumerate(value):
        if not isinstance(rule, dict) or set(rule) != {"mp", "groups"}:
            raise SettingsInvalid(f"{field}[{i}]", 'must be an object with exactly "mp" and "groups"')
        rules.append({"mp": _id(rule["mp"], f"{field}[{i}].mp"),
                      "groups": _ids(rule["groups"], f"{field}[{i}].groups")})
    return rules


def _relay_sets(value: Any, field: str) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise SettingsInvalid(field, f"must be a list of at most {MAX_PATTERNS} lists of group ids")
    sets = []
    for i, members in enumerate(value):
        ids = _ids(members, f"{field}[{i}]")
        if len(ids) < 2:
            raise SettingsInvalid(f"{field}[{i}]", "a relay set needs at least two groups")
        sets.append(ids)
    return sets


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsInvalid(field, "must be true or false")
    return value


VALIDATORS = {
    "auto_accept": _bool,
    "group_patterns": _patterns,
    "group_creators": _creators,
    **{name: functools.partial(_int, low=low, high=high) for name, (low, high) in INT_RANGES.items()},
    "mp_forwarding": _mp_forwarding,
    "relay_sets": _relay_sets,
    **{name: functools.partial(_text, allowed=allowed) for name, allowed in TEXT_FIELDS.items()},
}


def validate(changes: Any) -> dict[str, Any]:
    """Check a partial update (any subset of the settings) and return it normalized; raises SettingsInvalid."""
    if not isinstance(changes, dict):
        raise SettingsInvalid("settings", "must be a JSON object")
    unknown = sorted(set(changes) - set(DEFAULTS))
    if unknown:
        raise SettingsInvalid(unknown[0], f"unknown setting (known: {', '.join(DEFAULTS)})")
    return {name: VALIDATORS[name](value, name) for name, value in changes.items()}


# -- storage -------------------------------------------------------------------------------------------------------
def load(account_id: int) -> dict[str, Any]:
    row = db.session.execute(
        db.select(AutomationSettings).where(AutomationSettings.account_id == account_id)
    ).scalar_one_or_none()
    return effective(row.settings if row is not None else None)


_cached = VersionedCache(load)


def cached(account_id: int) -> dict[str, Any]:
    """`load`, read from SQL again only after the settings changed (wechat/plugins/config_cache.py). Shared by every
    caller: read-only."""
    return _cached.get(account_id)


def save(account_id: int, changes: dict[str, Any], updated_by: str) -> tuple[dict[str, Any], list[str]]:
    """Apply validated changes; returns the effective settings and the names that changed (the caller commits)."""
    row = db.session.execute(
        db.select(AutomationSettings).where(AutomationSettings.account_id == account_id)
    ).scalar_one_or_none()
    if row is None:
        row = AutomationSettings(account_id=account_id, settings={})
        db.session.add(row)
    before = effective(row.settings)
    stored = dict(row.settings or {})
    stored.update(changes)
    row.settings = stored  # a new dict, so SQLAlchemy sees the JSON column change
    row.updated_by = updated_by
    after = effective(stored)
    return after, [name for name in DEFAULTS if before[name] != after[name]]
