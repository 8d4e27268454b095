"""Insights on a real (SQLite) database: events from syncs and notes counted once, rollups equal to live counts."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from extensions import db
from models import Account, AuditLog, Message
from models.insights import InsightDay, MembershipEvent
from wechat.insights.events import note_changes, record_changes
from wechat.insights.report import Range, comparison, group_report
from wechat.insights.rollup import roll_up
from wechat.sync.store import sync_groups

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
TODAY = date(2026, 11, 30)


def account() -> int:
    row = Account(puid="me", nick_name="bot")
    db.session.add(row)
    db.session.commit()
    return row.id


def group(*members: str, name: str = "群") -> dict:
    return {"g1": {"nick_name": name, "is_owner": True, "owner_puid": "me", "member_count": len(members),
                   "members": {m: {"nick_name": f"nick-{m}", "display_name": ""} for m in members}}}


def message(account_id: int, n: int, sender: str, at: datetime, chat: str = "g1", kind: str = "text") -> Message:
    return Message(account_id=account_id, msg_id=str(n), type=kind, chat_kind="group", chat_puid=chat,
                   chat_name="群", sender_puid=sender, sender_name=f"nick-{sender}", text="hi", created_at=at)


def test_a_first_sync_records_no_joins_later_ones_do(app):
    account_id = account()
    sync_groups(account_id, group("a", "b"))
    assert db.session.execute(db.select(MembershipEvent)).first() is None
    sync_groups(account_id, group("a", "c"))
    rows = {(e.kind, e.member_puid, e.source) for e in db.session.execute(db.select(MembershipEvent)).scalars()}
    assert rows == {("join", "c", "sync"), ("leave", "b", "sync")}


def test_a_join_seen_by_a_note_and_a_sync_counts_once(app):
    account_id = account()
    sync_groups(account_id, group("a"))
    noted_at = datetime.now(UTC) - timedelta(minutes=5)
    record_changes(account_id, note_changes("g1", "join", ["nick-c"], noted_at))
    db.session.commit()
    record_changes(account_id, note_changes("g1", "join", ["nick-c"], noted_at))  # the note delivered again
    db.session.commit()
    sync_groups(account_id, group("a", "c"))
    events = list(db.session.execute(db.select(MembershipEvent)).scalars())
    assert len(events) == 1
    assert (events[0].member_puid, events[0].source, events[0].confirmed) == ("c", "note", True)
    assert events[0].occurred_at == noted_at.replace(microsecond=noted_at.microsecond)  # the note's time is kept
    # The other order: a sync first, then the note.
    sync_groups(account_id, group("a", "c", "d"))
    record_changes(account_id, note_changes("g1", "join", ["nick-d"], datetime.now(UTC)))
    db.session.commit()
    assert db.session.execute(db.select(db.func.count()).select_from(MembershipEvent)).scalar() == 2



def test_one_call_with_many_changes_repeats_and_pairs_among_its_own(app):
    """record_changes reads the stored events once per call: what the call itself adds or confirms must still count
    (a note twice in one batch is one event; a sync and a note of the same join in one call pair up)."""
    from wechat.insights.events import Change

    account_id = account()
    at = datetime.now(UTC) - timedelta(minutes=1)
    older = at - timedelta(days=3)  # outside the pairing window: another join
    changes = [*note_changes("g1", "join", ["nick-c"], at), *note_changes("g1", "join", ["nick-c"], at),
               Change("g1", "join", "sync", at + timedelta(seconds=30), member_name="nick-c", member_puid="c",
                      names=frozenset({"nick-c"})),
               *note_changes("g1", "join", ["nick-e"], older),
               *[Change(f"g{n}", "leave", "sync", at, member_name=f"m{n}", member_puid=f"m{n}") for n in range(2, 700)]]
    assert record_changes(account_id, changes) == 1 + 1 + 698
    db.session.commit()
    joins = {(e.member_name, e.member_puid, e.source, e.confirmed)
             for e in db.session.execute(db.select(MembershipEvent).where(MembershipEvent.kind == "join")).scalars()}
    assert joins == {("nick-c", "c", "note", True), ("nick-e", None, "note", False)}
    # The same notes and leaves again (a re-delivered batch): every one is a repeat. (The sync's join was merged
    # into the note's row; a later sync never reports that join again, the membership being stored by then.)
    again = [change for change in changes if not (change.source == "sync" and change.kind == "join")]
    assert record_changes(account_id, again) == 0

def seed(account_id: int) -> None:
    rows = []
    n = 0
    for day in range(40):
        for hour in (1, 9, 20):
            n += 1
            rows.append(message(account_id, n, "a" if hour != 20 else "b", NOW - timedelta(days=day, hours=hour)))
    rows.append(message(account_id, 999, "a", NOW - timedelta(days=1), kind="system"))  # notes are not activity
    rows.append(message(account_id, 1000, "x", NOW - timedelta(days=1), chat="g2"))
    db.session.add_all(rows)
    db.session.commit()


def test_rollups_give_the_same_figures_as_live_counts(app):
    account_id = account()
    sync_groups(account_id, group("a", "b", "c"))
    sync_groups(account_id, group("a", "b", "c", "d"))
    # The sync dates d's join by the wall clock; the test's clock is NOW (else it fails whenever the real day in
    # Shanghai is not TODAY, as it did at 00:54 on 1 December there).
    db.session.execute(db.update(MembershipEvent).where(MembershipEvent.member_puid == "d")
                       .values(occurred_at=NOW - timedelta(hours=2)))
    db.session.commit()
    seed(account_id)
    rng = Range(TODAY - timedelta(days=34), TODAY, ZONE, TODAY)
    live = group_report(account_id, "g1", rng)
    live_groups = comparison(account_id, rng)
    done = roll_up(account_id, "Asia/Shanghai", now=NOW)
    assert done["rolled_until"] == TODAY.isoformat()
    assert db.session.execute(db.select(db.func.count()).select_from(InsightDay)).scalar() > 30
    rolled = group_report(account_id, "g1", rng)
    assert rolled == live
    assert comparison(account_id, rng) == live_groups
    assert roll_up(account_id, "Asia/Shanghai", now=NOW)["days"] == 1  # yesterday again, nothing else
    assert group_report(account_id, "g1", rng) == live

    assert sum(day["messages"] for day in live["days"]) == sum(map(sum, live["heatmap"]))
    assert [m["puid"] for m in live["top_members"]] == ["a", "b"]
    assert {m["puid"] for m in live["silent"]} == {"c", "d"}
    assert [m["puid"] for m in live["newcomers"]] == ["d"]
    assert live["days"][-1]["joins"] == 1  # d, found by today's sync
    assert (live["days"][-1]["members"], live["days"][-2]["members"]) == (4, 3)  # walked back through the join
    g1 = next(row for row in live_groups if row["puid"] == "g1")
    assert (g1["joins"], g1["active_members"]) == (1, 2)


def test_a_time_zone_change_rebuilds_the_rollups(app):
    account_id = account()
    sync_groups(account_id, group("a", "b"))
    seed(account_id)
    roll_up(account_id, "Asia/Shanghai", now=NOW)
    utc = ZoneInfo("UTC")
    rng = Range(TODAY - timedelta(days=10), TODAY, utc, TODAY)
    live = group_report(account_id, "g1", rng)  # rollups of another zone are ignored
    roll_up(account_id, "UTC", now=NOW)
    assert group_report(account_id, "g1", rng) == live


def test_removals_come_from_the_audit_log(app):
    account_id = account()
    sync_groups(account_id, group("a", "b"))
    db.session.add_all([
        AuditLog(actor="bot", action="automation.kick", target="=坏人", reason="vote-kick in 群",
                 detail={"group": "g1", "puid": "b"}, created_at=NOW - timedelta(days=1)),
        AuditLog(actor="root", action="group.remove_members", target="g1", detail={"ok": True},
                 created_at=NOW - timedelta(days=2)),
        AuditLog(actor="root", action="group.remove_members", target="other", created_at=NOW),
    ])
    db.session.commit()
    report = group_report(account_id, "g1", Range(TODAY - timedelta(days=7), TODAY, ZONE, TODAY))
    assert [(r["action"], r["member"]) for r in report["removals"]] == [("automation.kick", "=坏人"),
                                                                         ("group.remove_members", "")]


def test_the_beat_rolls_up_every_account(app):
    import wechat.tasks as tasks

    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["wechat-insights-rollup"]
    assert entry["task"] == tasks.insights_rollup.name and entry["task"] in celery.tasks
    account_id = account()
    sync_groups(account_id, group("a"))
    seed(account_id)
    done = tasks.insights_rollup()
    assert [row["account_id"] for row in done] == [account_id] and done[0]["days"] > 30


class Directory:
    def chat(self, user_name, fallback):
        from drivers.itchat.directory import ChatInfo

        kind = "group" if user_name.startswith("@@") else "friend"
        return ChatInfo(kind, user_name, "群", "g1" if kind == "group" else "p1")


def test_the_bot_records_join_and_removal_notes_of_groups(app):
    from drivers.types import GroupNoteEvent, GroupNoteKind, MessageEvent, MessageKind
    from wechat.bot.dispatch import BotContext
    from wechat.insights.handler import membership_note

    account_id = account()
    ctx = BotContext(app=app, state=None, bot=None, cache={"directory": Directory(), "account_id": account_id})
    at = int(NOW.timestamp())
    for text in ('"张三"邀请"李四"、"王五"加入了群聊', '你将"坏人"移出了群聊', '"张三"修改群名为"新群"'):
        membership_note(GroupNoteEvent("1", "g1", GroupNoteKind.OTHER, text, create_time=at), ctx)
    # A note outside a group, and a text that reads like a note, are no membership changes.
    membership_note(MessageEvent("2", MessageKind.SYSTEM, "p1", "", False, text='你邀请"李四"加入了群聊'), ctx)
    membership_note(MessageEvent("3", MessageKind.TEXT, "g1", "m1", True, text='你将"x"移出了群聊'), ctx)
    rows = db.session.execute(db.select(MembershipEvent).order_by(MembershipEvent.id)).scalars()
    assert [(e.group_puid, e.kind, e.member_name, e.source, e.occurred_at) for e in rows] == [
        ("g1", "join", "李四", "note", NOW), ("g1", "join", "王五", "note", NOW), ("g1", "leave", "坏人", "note", NOW)]
