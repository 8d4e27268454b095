"""Cron next-run times in a time zone, local one-off times, and what a tick does (send, missed, next)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wechat.schedules.timing import TimingInvalid, check_cron, latest_cron, next_cron, parse_local_time, plan_tick

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, a Monday


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_cron_is_read_in_the_time_zone():
    assert next_cron("0 9 * * *", T0, SHANGHAI) == utc(2026, 3, 2, 1, 0)
    assert next_cron("0 9 * * *", utc(2026, 3, 2, 1, 0), SHANGHAI) == utc(2026, 3, 3, 1, 0)
    assert next_cron("0 9 * * 1-5", utc(2026, 3, 6, 2, 0), SHANGHAI) == utc(2026, 3, 9, 1, 0)  # Fri → Mon
    assert latest_cron("*/5 * * * *", utc(2026, 3, 2, 0, 5), SHANGHAI) == utc(2026, 3, 2, 0, 5)
    assert latest_cron("*/5 * * * *", utc(2026, 3, 2, 0, 7), SHANGHAI) == utc(2026, 3, 2, 0, 5)


def test_dst_zone():
    berlin = ZoneInfo("Europe/Berlin")
    # 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC after the switch on 2026-03-29.
    assert next_cron("0 9 * * *", utc(2026, 3, 28, 9, 0), berlin) == utc(2026, 3, 29, 7, 0)


@pytest.mark.parametrize("expr", ["* * * * * *", "61 * * * *", "bad", "", "* * *"])
def test_bad_cron(expr):
    with pytest.raises(TimingInvalid, match="cron"):
        check_cron(expr)


def test_good_cron():
    assert check_cron(" 0  9 * * 1-5 ") == "0 9 * * 1-5"
    assert check_cron("@Daily") == "@daily"


def test_local_time():
    assert parse_local_time("2026-05-01T09:30", SHANGHAI) == utc(2026, 5, 1, 1, 30)
    assert parse_local_time("2026-05-01T09:30:00.5+00:00", SHANGHAI) == utc(2026, 5, 1, 9, 30)
    with pytest.raises(TimingInvalid):
        parse_local_time("tomorrow", SHANGHAI)


def every_minute():
    return dict(latest=lambda now: latest_cron("* * * * *", now, UTC),
                following=lambda at: next_cron("* * * * *", at, UTC))


def test_a_due_occurrence_fires_and_the_next_is_after_now():
    plan = plan_tick(T0, T0 + timedelta(seconds=20), 120, **every_minute())
    assert plan.fire == T0 and plan.missed == 0 and plan.next_run_at == T0 + timedelta(minutes=1)


def test_not_due_does_nothing():
    plan = plan_tick(T0, T0 - timedelta(seconds=1), 120, **every_minute())
    assert plan.fire is None and plan.missed == 0 and plan.next_run_at == T0


def test_after_downtime_only_the_latest_fires_when_recent_and_the_rest_are_missed():
    now = T0 + timedelta(minutes=10, seconds=30)
    plan = plan_tick(T0, now, 120, **every_minute())
    assert plan.fire == T0 + timedelta(minutes=10)
    assert (plan.missed, plan.missed_first, plan.missed_last) == (10, T0, T0 + timedelta(minutes=9))
    assert plan.next_run_at == T0 + timedelta(minutes=11)


def test_after_downtime_past_the_grace_everything_is_missed():
    daily = dict(latest=lambda now: latest_cron("0 9 * * *", now, SHANGHAI),
                 following=lambda at: next_cron("0 9 * * *", at, SHANGHAI))
    first = utc(2026, 3, 2, 1, 0)
    plan = plan_tick(first, first + timedelta(days=3, hours=2), 120, **daily)
    assert plan.fire is None and plan.missed == 4 and plan.missed_last == first + timedelta(days=3)
    assert plan.next_run_at == first + timedelta(days=4)


def test_one_off():
    assert plan_tick(T0, T0 + timedelta(seconds=30), 120).fire == T0
    late = plan_tick(T0, T0 + timedelta(hours=1), 120)
    assert late.fire is None and late.missed == 1 and late.next_run_at is None


def test_long_downtime_is_counted_with_a_cap():
    plan = plan_tick(T0, T0 + timedelta(days=30), 60, **every_minute())
    assert plan.fire is not None and plan.missed_more and plan.missed >= 1000


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=600))
def test_a_tick_never_fires_more_than_once_and_moves_past_now(offset_seconds, grace):
    now = T0 + timedelta(seconds=offset_seconds)
    plan = plan_tick(T0, now, grace, **every_minute())
    assert plan.next_run_at > now
    if plan.fire is not None:
        assert timedelta(0) <= now - plan.fire <= timedelta(seconds=grace)
    due = offset_seconds // 60 + 1
    assert plan.missed + (plan.fire is not None) == due
