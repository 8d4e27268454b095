"""Time rules of schedules, on plain datetimes (aware, UTC in and out; cron read in the schedule's time zone).

What a scheduler tick does with a schedule whose next occurrence is due (`plan_tick`):
- the latest due occurrence is sent when it is at most `grace` seconds late (beat runs every 30 s, so a normal
  tick is a few seconds late);
- every other due occurrence — all of them after the service was down longer than the grace — is *missed*: it is
  reported in the history, never sent late (a burst of stale messages is worse than none);
- the next occurrence is the first one after now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from libs.validation import ValueInvalid, to_utc

MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
MAX_CRON = 120  # models.schedule.Schedule.cron
MAX_COUNTED = 1000  # missed occurrences counted one by one; more are reported as "at least"


class TimingInvalid(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimingInvalid(f"unknown time zone {name!r}") from None


def check_cron(expr: str) -> str:
    """Five fields (minute hour day month weekday) or a macro such as @daily; no seconds field."""
    expr = " ".join(str(expr).split())
    if expr.lower() in MACROS:
        return expr.lower()
    if len(expr) > MAX_CRON or len(expr.split(" ")) != 5 or not croniter.is_valid(expr):
        raise TimingInvalid(f"bad cron expression {expr[:MAX_CRON]!r}: give five fields, e.g. '0 9 * * 1-5' "
                            "(minute hour day-of-month month day-of-week), or @hourly/@daily/@weekly/@monthly")
    # Valid field by field is not enough: "0 0 30 2 *" (February 30th) never fires, and computing its next run
    # raised deep in the scheduler. Every real schedule fires within a few years (29 February: four).
    try:
        croniter(expr, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (ValueError, OverflowError):
        raise TimingInvalid(f"cron expression {expr!r} never fires (no such date)") from None
    return expr


def next_cron(expr: str, after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence strictly after `after`, in UTC."""
    return croniter(expr, after.astimezone(tz)).get_next(datetime).astimezone(UTC)


def latest_cron(expr: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The last occurrence at or before `now`, in UTC."""
    occurrence = croniter(expr, (now + timedelta(seconds=1)).astimezone(tz)).get_prev(datetime).astimezone(UTC)
    return occurrence if occurrence <= now else croniter(expr, occurrence.astimezone(tz)).get_prev(
        datetime).astimezone(UTC)


def parse_local_time(value: str, tz: ZoneInfo) -> datetime:
    """An ISO date-time; without an offset it is a wall-clock time in `tz`. Returned in UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise TimingInvalid(f"bad date-time {value!r}: use ISO 8601, e.g. 2026-05-01T09:30") from None
    try:  # years 1 and 9999 overflow in the conversion, and MySQL's DATETIME stops at 1000 and 9999
        utc = to_utc(parsed, "run_at", tz)
    except ValueInvalid as exc:
        raise TimingInvalid(f"{value!r} {exc.message}") from None
    return utc.replace(microsecond=0)  # whole seconds: MySQL DATETIME keeps no fraction


@dataclass(frozen=True)
class TickPlan:
    fire: datetime | None  # the occurrence to send now
    missed_first: datetime | None  # the first missed occurrence (the history entry's due time)
    missed_last: datetime | None
    missed: int  # how many were missed (at least, when `missed_more`)
    missed_more: bool
    next_run_at: datetime | None


def plan_tick(next_run_at: datetime | None, now: datetime, grace: float,
              latest: Callable[[datetime], datetime] | None = None,
              following: Callable[[datetime], datetime] | None = None) -> TickPlan:
    """`latest(now)`/`following(t)` give a recurring schedule's occurrences; both None for a one-off."""
    if next_run_at is None or next_run_at > now:
        return TickPlan(None, None, None, 0, False, next_run_at)
    last_due = latest(now) if latest is not None else next_run_at
    last_due = max(last_due, next_run_at)
    fire = last_due if (now - last_due).total_seconds() <= grace else None
    missed, more, missed_last = 0, False, None
    occurrence: datetime | None = next_run_at
    while occurrence is not None and occurrence <= last_due:
        if occurrence != fire:
            missed += 1
            missed_last = occurrence
        if missed >= MAX_COUNTED:
            more = True
            missed_last = last_due if fire is None else missed_last
            break
        occurrence = following(occurrence) if following is not None else None
    missed_first = next_run_at if missed else None
    upcoming = following(last_due) if following is not None else None
    return TickPlan(fire, missed_first, missed_last, missed, more, upcoming)
