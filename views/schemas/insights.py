"""Group insights (views/insights.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.api_spec import Query

Day = Annotated[str, Field(max_length=10, json_schema_extra={"format": "date"})]


class RangeQuery(Query):
    """Local days in the configured TIMEZONE, inclusive; at most 731 days in all."""

    from_: Day = Field("", alias="from", description="first day (YYYY-MM-DD); default: 29 days before `to`")
    to: Day = Field("", description="last day (YYYY-MM-DD); default: today")


class ExportQuery(RangeQuery):
    group: Annotated[str, Field(max_length=64, description="the group's puid (every table but `groups`)")] = ""


class InsightRange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    timezone: str


class GroupComparison(BaseModel):
    puid: str
    name: str
    members: int
    joins: int
    leaves: int
    net: int
    messages: int
    active_members: int = Field(description="distinct senders in the range")


class Comparison(BaseModel):
    range: InsightRange
    groups: list[GroupComparison]


class InsightGroup(BaseModel):
    puid: str
    name: str
    members: int


class DayRow(BaseModel):
    date: str
    joins: int
    leaves: int
    messages: int
    members: int | None = Field(None, description="members at the end of the day (an estimate where events "
                                                   "were missed)")


class TopMember(BaseModel):
    puid: str
    name: str
    messages: int


class Silent(BaseModel):
    puid: str
    name: str
    last_spoken: str | None


class Newcomer(BaseModel):
    puid: str
    name: str
    joined_at: str


class Leave(BaseModel):
    time: str
    name: str
    puid: str | None
    source: Literal["note", "sync"]


class Removal(BaseModel):
    time: str
    action: str
    actor: str
    group: str
    member: str | None
    reason: str
    ok: Any = None


class GroupInsights(BaseModel):
    range: InsightRange
    group: InsightGroup
    days: list[DayRow]
    heatmap: list[Annotated[list[int], Field(min_length=24, max_length=24)]] = Field(
        min_length=7, max_length=7, description="7 rows (Monday first) of 24 message counts by local hour")
    top_members: list[TopMember]
    silent: list[Silent]
    newcomers: list[Newcomer]
    leaves: list[Leave]
    removals: list[Removal]
