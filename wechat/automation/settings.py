"""Automation settings per account: zh-CN defaults, strict validation, and storage in SQL.

The stored JSON holds only what an admin set; readers always get the effective settings (defaults merged), so a
new setting added later has a value for every account without a migration.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from extensions import db
from libs import text_template
from libs.api_spec import Body, validate_model
from libs.column_types import Text
from libs.validation import ValueInvalid
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


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)


def effective(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the stored values (unknown keys left over from older versions are dropped)."""
    merged = defaults()
    merged.update({k: copy.deepcopy(v) for k, v in (stored or {}).items() if k in DEFAULTS})
    return merged


# -- validation ----------------------------------------------------------------------------------------------------
def _template_text(allowed: frozenset[str]) -> Any:
    def check(value: str) -> str:
        try:
            return text_template.check(value, allowed)
        except text_template.TemplateInvalid as exc:
            raise ValueInvalid("", str(exc)) from None

    return Annotated[Text(MAX_TEXT), AfterValidator(check)]


def _unique(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise ValueInvalid("", "lists the same id twice")
    return ids


Id = Text(MAX_ID, min_length=1, strip=True)
Ids = Annotated[list[Id], Field(max_length=MAX_GROUPS_PER_RULE), AfterValidator(_unique)]
Keyword = Text(MAX_KEYWORD, min_length=1, strip=True)


def _group_name_template(value: str) -> str:
    if value.count("{}") != 1 or value.replace("{}", "").count("{") or value.replace("{}", "").count("}"):
        raise ValueInvalid("", "must contain {} exactly once (where the group number goes) and no other braces")
    return value


# The names of the groups the bot creates.
NameTemplate = Annotated[Text(MAX_GROUP_TEMPLATE, min_length=1, display_name=True),
                         AfterValidator(_group_name_template)]


def _pair(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueInvalid("", "must be a pair [keyword, name template]")
    return tuple(value)


Pattern = Annotated[tuple[Keyword, NameTemplate], BeforeValidator(_pair)]


class MpForwarding(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    mp: Id
    groups: Ids


def _relay_set(ids: list[str]) -> list[str]:
    if len(ids) < 2:
        raise ValueInvalid("", "a relay set needs at least two groups")
    return ids


def _creators(ids: list[str]) -> list[str]:
    if len(ids) == 1:
        raise ValueInvalid("", "WeChat needs at least two other members to create a group: give 0 or ≥ 2 ids")
    return ids


class SettingsChanges(Body):
    """A partial update of the automation settings: any subset of them (docs/AUTOMATION.md)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    auto_accept: bool = None
    invite_text: _template_text(TEXT_FIELDS["invite_text"]) = None
    group_patterns: Annotated[list[Pattern], Field(max_length=MAX_PATTERNS)] = None
    group_creators: Annotated[Ids, Field(max_length=40), AfterValidator(_creators)] = None
    new_group_announcement: _template_text(TEXT_FIELDS["new_group_announcement"]) = None
    already_member_reply: _template_text(TEXT_FIELDS["already_member_reply"]) = None
    welcome_text: _template_text(TEXT_FIELDS["welcome_text"]) = None
    kick_quorum: Annotated[int, Field(ge=INT_RANGES["kick_quorum"][0], le=INT_RANGES["kick_quorum"][1])] = None
    kick_period_minutes: Annotated[int, Field(ge=INT_RANGES["kick_period_minutes"][0],
                                              le=INT_RANGES["kick_period_minutes"][1])] = None
    kick_text: _template_text(TEXT_FIELDS["kick_text"]) = None
    kicked_text: _template_text(TEXT_FIELDS["kicked_text"]) = None
    blacklist_reply: _template_text(TEXT_FIELDS["blacklist_reply"]) = None
    mp_forwarding: Annotated[list[MpForwarding], Field(max_length=MAX_PATTERNS)] = None
    relay_sets: Annotated[list[Annotated[Ids, AfterValidator(_relay_set)]], Field(max_length=MAX_PATTERNS)] = None

    @field_validator("group_patterns")
    @classmethod
    def _distinct_keywords(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        keywords = [keyword.casefold() for keyword, _ in value]
        if len(set(keywords)) != len(keywords):
            raise ValueInvalid("", "two patterns have the same keyword")
        return value


def validate(changes: Any) -> dict[str, Any]:
    """Check a partial update (any subset of the settings) and return it normalized; raises ValueInvalid."""
    checked = validate_model(SettingsChanges, changes)
    return checked.model_dump(mode="json", exclude_unset=True)


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
