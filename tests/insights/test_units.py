"""Pure parts of the group insights: note parsing, event pairing, local buckets, silence, newcomers, CSV."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from wechat.insights.buckets import decode_hours, encode_hours, hour_counts, utc_range, week_heatmap
from wechat.insights.events import Candidate, Change, is_repeat, partner
from wechat.insights.export import neutralise, to_csv
from wechat.insights.notes import membership_changes, removed_names
from wechat.insights.report import silent_members, silent_newcomers

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_notes_announce_joins_and_removals():
    assert membership_changes('"张三"邀请"李四"、"王五"加入了群聊') == ("join", ["李四", "王五"])
    assert membership_changes('"路人"通过扫描"张三"分享的二维码加入群聊') == ("join", ["路人"])
    assert membership_changes('你将"坏人"移出了群聊') == ("leave", ["坏人"])
    assert removed_names('"群主"将"a"b"、"c"移出了群聊') == ['a"b', "c"]
    assert membership_changes("你已添加了张三，现在可以开始聊天了。") is None
    assert membership_changes('"张三"修改群名为"移出了群聊"') is None


def test_a_sync_completes_the_note_of_the_same_join():
    note = Candidate(1, T0, None, frozenset({"李四"}))
    other = Candidate(2, T0, None, frozenset({"王五"}))
    sync = Change("g", "join", "sync", T0 + timedelta(minutes=20), member_name="李四的群名", member_puid="p4",
                  names=frozenset({"李四", "李四的群名"}))
    assert partner(sync, [other, note]) is note
    # Too long after the note: a different join of the same person.
    assert partner(Change("g", "join", "sync", T0 + timedelta(days=3), names=frozenset({"李四"})), [note]) is None


def test_puids_decide_when_both_sides_know_them():
    stored = Candidate(1, T0, "p1", frozenset({"同名"}))
    assert partner(Change("g", "leave", "note", T0, member_puid="p2", member_name="同名"), [stored]) is None
    assert partner(Change("g", "leave", "note", T0, member_puid="p1", member_name="别名"), [stored]) is stored


def test_the_closest_report_wins():
    far = Candidate(1, T0 - timedelta(hours=10), None, frozenset({"a"}))
    near = Candidate(2, T0 - timedelta(hours=1), None, frozenset({"a"}))
    assert partner(Change("g", "join", "sync", T0, member_name="a"), [far, near]) is near


def test_a_redelivered_note_is_a_repeat():
    change = Change("g", "join", "note", T0, member_name="李四")
    assert is_repeat(change, [("note", "join", T0, "李四")])
    assert not is_repeat(change, [("sync", "join", T0, "李四"), ("note", "join", T0 + timedelta(seconds=1), "李四")])


def test_hours_and_days_are_local():
    # 2026-11-01 17:30 UTC is 2026-11-02 01:30 in Shanghai (a Monday).
    moments = [datetime(2026, 11, 1, 17, 30, tzinfo=UTC), datetime(2026, 11, 1, 15, 59, tzinfo=UTC)]
    days = hour_counts(moments, SHANGHAI)
    assert days[date(2026, 11, 2)][1] == 1
    assert days[date(2026, 11, 1)][23] == 1
    grid = week_heatmap(days)
    assert grid[0][1] == 1  # Monday 01:00
    assert grid[6][23] == 1  # Sunday 23:00
    assert sum(map(sum, grid)) == 2


def test_utc_range_of_local_days_follows_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    start, end = utc_range(date(2026, 10, 25), date(2026, 10, 25), berlin)  # the day clocks go back: 25 hours
    assert end - start == timedelta(hours=25)
    assert start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)


def test_hours_round_trip():
    hours = list(range(24))
    assert decode_hours(encode_hours(hours)) == hours
    assert decode_hours("") == [0] * 24


MEMBERS = [{"puid": "a", "name": "甲", "names": {"甲"}}, {"puid": "b", "name": "乙", "names": {"乙", "乙的群名"}},
           {"puid": "c", "name": "丙", "names": {"丙"}}]


def test_silent_members_spoke_more_than_30_days_ago_or_never():
    today = date(2026, 11, 30)
    last = {"a": today - timedelta(days=29), "b": today - timedelta(days=30)}
    silent = silent_members(MEMBERS, last, today)
    assert [row["puid"] for row in silent] == ["c", "b"]
    assert silent[1]["last_spoken"] == "2026-10-31"
    assert silent[0]["last_spoken"] is None


def _join(puid, name, at):
    return SimpleNamespace(kind="join", member_puid=puid, member_name=name, occurred_at=at)


def test_newcomers_who_never_spoke_since_joining():
    joined = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    joins = [_join("a", "甲", joined), _join(None, "乙的群名", joined), _join(None, "谁", joined),
             _join("c", "丙", joined)]
    last = {"a": date(2026, 11, 9), "c": date(2026, 11, 10)}  # a spoke only before joining; c on the day
    rows = silent_newcomers(MEMBERS, joins, last, SHANGHAI)
    assert [row["puid"] for row in rows] == ["a", "b"]


def test_csv_neutralises_formulas():
    for hostile in ("=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(hostile) == "'" + hostile
    assert neutralise("张三") == "张三"
    assert neutralise(-3) == "-3"  # our own numbers stay numbers
    text = to_csv(["name", "n"], [["=HYPERLINK(\"http://x\")", 1], ["<b>x</b>", -1]])
    assert text.startswith("\ufeffname,n\r\n")
    assert "'=HYPERLINK" in text and "<b>x</b>,-1" in text
