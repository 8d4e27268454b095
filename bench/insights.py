"""Benchmark 5: the group insights of one big group: 500 members, a year of history, 500,000 messages.

Generates the group (plus 49 small ones for the comparison), its messages spread over the last 365 days with a
daily rhythm, ~2 joins and ~1 leave a day and a few vote-kicks; runs the rollup the beat task runs (a first run
backfills the whole year: timed), then requests the insights through the Flask app (routing, token auth, query,
JSON), each repeated. Baseline in the same run: the same year report with no rollups (everything counted live
from `messages`), which is what the page would cost without the beat task. Target: the year report of the big
group in under 1 s (p95). SQLite (PostgreSQL when it answers on 127.0.0.1:5432 is left for a later run).

    .venv/bin/python -m bench.insights [--messages 500000 --members 500 --repeat 10]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Timer, issue_token, loadavg, migrated_app, quiet_logs, ratio, stats_ms, write_result

TARGETS = {"group_year_p95_ms": 1000.0}
BIG = "gbig0001"
SMALL_GROUPS = 49
ZONE = "Asia/Shanghai"


def generate(members: int, messages: int) -> int:
    from sqlalchemy import insert

    from bench.data import bulk_load, ensure_account, search_indexes_deferred, settle
    from extensions import db
    from models import AuditLog, Contact, Group, Membership, Message
    from models.insights import MembershipEvent

    rng = random.Random(5)
    account_id = ensure_account()
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    bulk_load(Contact, ({"account_id": account_id, "puid": f"m{n:05d}", "nick_name": f"成员{n}", "remark_name": "",
                         "sex": 0, "province": "", "city": "", "signature": "", "is_friend": False, "is_mp": False,
                         "is_blacklisted": False, "updated_at": now} for n in range(members)))
    contact_ids = dict(db.session.execute(db.select(Contact.puid, Contact.id)).all())
    groups = [{"account_id": account_id, "puid": BIG, "nick_name": "大群", "is_owner": True, "member_count": members,
               "updated_at": now}]
    groups += [{"account_id": account_id, "puid": f"gsmall{n:03d}", "nick_name": f"小群{n}", "is_owner": False,
                "member_count": 10, "updated_at": now} for n in range(SMALL_GROUPS)]
    db.session.execute(insert(Group), groups)
    group_ids = dict(db.session.execute(db.select(Group.puid, Group.id)).all())
    rows = [{"group_id": group_ids[BIG], "contact_id": contact_ids[f"m{n:05d}"], "display_name": "",
             "joined_at": start} for n in range(members)]
    rows += [{"group_id": group_ids[f"gsmall{g:03d}"], "contact_id": contact_ids[f"m{n:05d}"], "display_name": "",
              "joined_at": start} for g in range(SMALL_GROUPS) for n in range(g, g + 10)]
    db.session.execute(insert(Membership), rows)
    db.session.commit()
    talkers = int(members * 0.8)  # a fifth never speak
    weights = [1 / (n + 1) ** 0.8 for n in range(talkers)]  # a few talk a lot
    hours = [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 3, 5, 6, 6, 6, 7, 6, 5, 5, 5, 5, 6, 8, 9, 9, 7, 3]

    def message_rows():
        senders = rng.choices(range(talkers), weights, k=messages)
        hour_of = rng.choices(range(24), hours, k=messages)
        for number in range(messages):
            day = number * 365 // messages
            created = (start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
                days=day, hours=hour_of[number], seconds=rng.randrange(3600)))
            small = number % 50 == 49  # 2 % of the messages go to the small groups
            sender = senders[number]
            yield {"account_id": account_id, "msg_id": str(8_000_000_000_000_000_000 + number), "type": "text",
                   "chat_kind": "group", "chat_puid": f"gsmall{number % SMALL_GROUPS:03d}" if small else BIG,
                   "chat_name": "群", "sender_puid": f"m{sender:05d}", "sender_name": f"成员{sender}",
                   "is_outgoing": False, "text": f"消息 {number}", "url": None, "file_name": None,
                   "file_path": None, "file_size": None, "created_at": created, "received_at": created}

    with search_indexes_deferred():
        bulk_load(Message, message_rows())
    events = []
    for day in range(365):
        for kind, count in (("join", 2), ("leave", 1)):
            for _ in range(count):
                who = rng.randrange(members)
                events.append({"account_id": account_id, "group_puid": BIG, "kind": kind,
                               "member_puid": f"m{who:05d}", "member_name": f"成员{who}", "source": "sync",
                               "confirmed": True, "occurred_at": start + timedelta(days=day, hours=rng.randrange(24))})
    db.session.execute(insert(MembershipEvent), events)
    db.session.execute(insert(AuditLog), [{"actor": "bot", "action": "automation.kick", "target": f"成员{n}",
                                           "reason": "vote-kick in 大群", "detail": {"group": BIG},
                                           "created_at": start + timedelta(days=n * 7)} for n in range(50)])
    db.session.commit()
    settle()
    return account_id


def measure(client, token: str, path: str, repeat: int) -> dict:
    """p50/p95 of `repeat` requests after one warm-up request (first-request imports and caches)."""
    client.get(path, headers={"Authorization": f"Bearer {token}"})
    seconds = []
    for _ in range(repeat):
        timer = Timer()
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        seconds.append(timer.seconds())
        assert response.status_code == 200, (path, response.status_code, response.data[:200])
    return {"path": path, **stats_ms(seconds), "bytes": len(response.data), "loadavg": loadavg()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    quiet_logs()
    from tests.fixtures.processes import RedisServer

    folder = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    redis_server = RedisServer(folder / "redis").start()
    try:
        app = migrated_app(f"sqlite:///{folder}/insights.db", folder / "instance", redis_server.url, TIMEZONE=ZONE)
        token = issue_token(app)
        from zoneinfo import ZoneInfo

        from extensions import db
        from models.insights import InsightRollup
        from wechat.insights.rollup import roll_up

        today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
        year = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
        month = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
        client = app.test_client()  # requests run outside our app context, each in its own, as in production
        with app.app_context():
            timer = Timer()
            account_id = generate(args.members, args.messages)
            generated_s = timer.seconds()
            db.session.remove()
        live_only = measure(client, token, f"/api/insights/groups/{BIG}?{year}", max(2, args.repeat // 5))
        with app.app_context():
            timer = Timer()
            first = roll_up(account_id, ZONE)
            backfill_s = timer.seconds()
            timer = Timer()
            roll_up(account_id, ZONE)
            incremental_s = timer.seconds()
            rolled_until: date = db.session.get(InsightRollup, account_id).rolled_until
            db.session.remove()
        figures = {
            "group_year": measure(client, token, f"/api/insights/groups/{BIG}?{year}", args.repeat),
            "group_30_days": measure(client, token, f"/api/insights/groups/{BIG}?{month}", args.repeat),
            "comparison_year": measure(client, token, f"/api/insights/groups?{year}", args.repeat),
            "csv_top_members_year": measure(client, token,
                                            f"/api/insights/export/top_members.csv?group={BIG}&{year}",
                                            args.repeat),
        }
    finally:
        redis_server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    summary = {"group_year_p95_ms": figures["group_year"]["p95_ms"],
               "group_year_without_rollups_p95_ms": live_only["p95_ms"],
               "speedup_vs_live": ratio(live_only["p95_ms"], figures["group_year"]["p95_ms"]),
               "rollup_backfill_s": backfill_s, "rollup_incremental_s": incremental_s}
    print(write_result("insights", {
        "parameters": vars(args), "targets": TARGETS, "generated_s": generated_s,
        "rollup": {"first_run": first, "backfill_s": backfill_s, "incremental_s": incremental_s,
                   "rolled_until": rolled_until.isoformat()},
        "without_rollups": live_only, "requests": figures, "summary": summary}))


if __name__ == "__main__":
    main()
