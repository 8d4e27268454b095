"""The insights API: figures, ranges, 400s for bad ranges, 404 for unknown groups, CSV export."""

import csv
import io
from datetime import UTC, datetime, timedelta

from extensions import db
from models import Account, Message
from wechat.insights.events import note_changes, record_changes
from wechat.sync.store import sync_groups

HOSTILE = "=HYPERLINK(\"http://evil\")<b>x</b>"


def seed() -> None:
    account = Account(puid="me", nick_name="bot")
    db.session.add(account)
    db.session.commit()
    members = {"a": {"nick_name": HOSTILE, "display_name": ""}, "b": {"nick_name": "乙", "display_name": ""}}
    sync_groups(account.id, {"g1": {"nick_name": "+群", "is_owner": True, "owner_puid": "me", "member_count": 2,
                                    "members": members}})
    now = datetime.now(UTC)
    db.session.add_all([Message(account_id=account.id, msg_id=str(n), type="text", chat_kind="group",
                                chat_puid="g1", chat_name="+群", sender_puid="a", sender_name=HOSTILE, text="hi",
                                created_at=now - timedelta(days=n)) for n in range(3)])
    record_changes(account.id, note_changes("g1", "join", ["乙"], now - timedelta(days=2)))
    db.session.commit()


def test_group_insights_and_comparison(logged_in):
    seed()
    report = logged_in.get("/api/insights/groups/g1").json
    assert report["range"]["timezone"] == "Asia/Shanghai" and len(report["days"]) == 30
    assert sum(day["messages"] for day in report["days"]) == 3
    assert sum(day["joins"] for day in report["days"]) == 1
    assert report["top_members"] == [{"puid": "a", "name": HOSTILE, "messages": 3}]
    assert [row["puid"] for row in report["newcomers"]] == ["b"]
    groups = logged_in.get("/api/insights/groups?from=2000-01-01&to=2001-12-31").json["groups"]
    assert groups == [{"puid": "g1", "name": "+群", "members": 2, "joins": 0, "leaves": 0, "net": 0, "messages": 0,
                       "active_members": 0}]


def test_bad_ranges_are_400_json(logged_in):
    for query in ("from=2026-13-01", "to=yesterday", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01",
                  "from=0001-01-01", "to=9999-12-31", "from=20260101"):
        response = logged_in.get(f"/api/insights/groups?{query}")
        assert response.status_code == 400 and "error" in response.json, query
    assert logged_in.get("/api/insights/groups/nope").status_code == 404
    assert logged_in.get("/api/insights/export/nope.csv").status_code == 404
    assert logged_in.get("/api/insights/export/days.csv").status_code == 400  # which group?


def test_csv_export_neutralises_what_users_control(logged_in):
    seed()
    response = logged_in.get("/api/insights/export/top_members.csv?group=g1")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [["puid", "name", "messages"], ["a", "'" + HOSTILE, "3"]]
    groups = list(csv.reader(io.StringIO(logged_in.get("/api/insights/export/groups.csv").data.decode("utf-8-sig"))))
    assert groups[1][:3] == ["g1", "'+群", "2"]
    heatmap = logged_in.get("/api/insights/export/heatmap.csv?group=g1").data.decode("utf-8-sig").splitlines()
    assert heatmap[0].startswith("weekday,0,1,") and len(heatmap) == 8


def test_insights_need_an_admin(client):
    assert client.get("/api/insights/groups").status_code == 401
    assert client.get("/api/insights/export/groups.csv").status_code == 401


def test_page_strings_are_translated_and_shadow_nothing(logged_in):
    from babel.messages.pofile import read_po

    from libs.i18n import JS_STRINGS
    from tests.browser.test_pages import CATALOG
    from views.dashboard import PAGE_STRINGS
    from views.insights import JS_STRINGS as INSIGHT_STRINGS

    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle)
    assert [str(v._args[0]) for v in INSIGHT_STRINGS.values() if str(v._args[0]) not in po] == []
    assert not set(INSIGHT_STRINGS) & (set(JS_STRINGS) | set(PAGE_STRINGS))
    page = logged_in.get("/insights").get_data(as_text=True)
    assert "群洞察" in page and "vendor/echarts/echarts.min.js" in page and '"weekdays_short"' in page
