"""Local days and hours of the week: messages are stored in UTC, the operator reads them in the configured zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (DST-safe: the zone says where midnight falls)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def utc_range(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the local days first..last inclusive."""
    return local_day_start(first, zone), local_day_start(last + timedelta(days=1), zone)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def hour_counts(moments: Iterable[datetime], zone: ZoneInfo) -> dict[date, list[int]]:
    """{local day: 24 counts by local hour} of the given UTC instants."""
    days: dict[date, list[int]] = {}
    for moment in moments:
        at = moment.astimezone(zone)
        days.setdefault(at.date(), [0] * 24)[at.hour] += 1
    return days


def week_heatmap(days: dict[date, list[int]]) -> list[list[int]]:
    """7 rows (Monday first) of 24 hourly counts, summed over the given days."""
    grid = [[0] * 24 for _ in range(7)]
    for day, hours in days.items():
        row = grid[day.weekday()]
        for hour, count in enumerate(hours):
            row[hour] += count
    return grid


def encode_hours(hours: list[int]) -> str:
    return ",".join(str(n) for n in hours)


def decode_hours(text: str) -> list[int]:
    values = [int(part) for part in text.split(",")] if text else []
    return (values + [0] * 24)[:24]
