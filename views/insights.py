"""Group insights over the JSON API: one group's figures, all groups compared, and every table as CSV.

Ranges are local days (`from`, `to`, YYYY-MM-DD, inclusive, in the configured TIMEZONE); the default is the last
30 days. The figures come from wechat/insights/report.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify
from flask import Response as HttpResponse
from flask_babel import lazy_gettext as _l

from extensions import db
from libs.api import ApiError
from libs.api_spec import ErrorBody, Response, api, context_query
from models.wechat import Group
from views.account_context import current_account_id
from views.schemas.insights import Comparison, ExportQuery, GroupInsights, RangeQuery
from wechat.insights import report
from wechat.insights.export import to_csv

bp = Blueprint("insights", __name__, url_prefix="/api/insights")

# Strings of static/js/pages/insights.js (added to the page's JS strings by views/dashboard.py).
JS_STRINGS = {
    "weekdays_short": _l("Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "members_now": _l("Members now"),
    "joins": _l("Joined"),
    "leaves": _l("Left"),
    "net": _l("Net change"),
    "messages_label": _l("Messages"),
    "active_members": _l("Active members"),
    "group_name": _l("Group"),
    "member": _l("Member"),
    "date": _l("Date"),
    "time": _l("Time"),
    "last_spoken": _l("Last spoke"),
    "joined_at": _l("Joined at"),
    "source": _l("Seen by"),
    "source_note": _l("System note"),
    "source_sync": _l("Member sync"),
    "action": _l("Action"),
    "actor": _l("By"),
    "reason": _l("Reason"),
    "action_vote_kick": _l("Vote-kick"),
    "action_vote_kick_failed": _l("Vote-kick failed"),
    "action_removed_by_admin": _l("Removed by an admin"),
    "range_shown": _l("From {from} to {to}"),
    "no_messages_in_range": _l("No messages in this range."),
}

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: the page's longest preset is one
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # keeps date arithmetic far from date.min / date.max


def _date_arg(name: str) -> date | None:
    raw = getattr(context_query(), "from_" if name == "from" else name)
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        value = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"query parameter '{name}' must be a date (YYYY-MM-DD)") from None
    if not EARLIEST <= value <= LATEST:
        raise ApiError(400, f"query parameter '{name}' must be between {EARLIEST} and {LATEST}")
    return value


def range_args() -> report.Range:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    today = report.today_in(zone)
    last = _date_arg("to") or today
    first = _date_arg("from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ApiError(400, "'from' must not be after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise ApiError(400, f"the range may span at most {MAX_DAYS} days")
    return report.Range(first, last, zone, today)


def _range_dict(rng: report.Range) -> dict[str, str]:
    return {"from": rng.first.isoformat(), "to": rng.last.isoformat(), "timezone": rng.zone.key}


def _group_report(puid: str, rng: report.Range) -> dict[str, Any]:
    account_id = current_account_id()
    known = account_id is not None and db.session.execute(db.select(Group.id).where(
        Group.account_id == account_id, Group.puid == puid)).first() is not None
    if not known:
        raise ApiError(404, "no such group")
    return report.group_report(account_id, puid, rng)


@bp.get("/groups")
@api.validate(query=RangeQuery, resp=Response(HTTP_200=Comparison))
def groups():
    """Every group compared over the range: members, joins, leaves, messages, active members."""
    rng = range_args()
    account_id = current_account_id()
    items = report.comparison(account_id, rng) if account_id is not None else []
    return jsonify({"range": _range_dict(rng), "groups": items})


@bp.get("/groups/<puid>")
@api.validate(query=RangeQuery, resp=Response(HTTP_200=GroupInsights, HTTP_404=ErrorBody))
def group(puid: str):
    """One group's figures over the range."""
    rng = range_args()
    return jsonify({"range": _range_dict(rng), **_group_report(puid, rng)})


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# table → (columns, how to read its rows out of the report)
TABLES = {
    "days": (("date", "joins", "leaves", "members", "messages"), lambda r: r["days"]),
    "top_members": (("puid", "name", "messages"), lambda r: r["top_members"]),
    "silent": (("puid", "name", "last_spoken"), lambda r: r["silent"]),
    "newcomers": (("puid", "name", "joined_at"), lambda r: r["newcomers"]),
    "leaves": (("time", "name", "puid", "source"), lambda r: r["leaves"]),
    "removals": (("time", "action", "actor", "group", "member", "reason", "ok"), lambda r: r["removals"]),
    "heatmap": (("weekday", *(str(h) for h in range(24))),
                lambda r: [{"weekday": WEEKDAYS[n], **{str(h): c for h, c in enumerate(row)}}
                           for n, row in enumerate(r["heatmap"])]),
}
COMPARISON_COLUMNS = ("puid", "name", "members", "joins", "leaves", "net", "messages", "active_members")


@bp.get("/export/<table>.csv")
@api.validate(query=ExportQuery, resp=Response(HTTP_200=None, HTTP_404=ErrorBody))
def export(table: str):
    """A table of the insights as CSV (`groups`, or one group's `days`, `heatmap`, `top_members`, …)."""
    rng = range_args()
    if table == "groups":
        account_id = current_account_id()
        columns, rows = COMPARISON_COLUMNS, report.comparison(account_id, rng) if account_id is not None else []
    elif table in TABLES:
        puid = context_query().group
        if not puid:
            raise ApiError(400, "query parameter 'group' is required for this table")
        columns, read = TABLES[table]
        rows = read(_group_report(puid, rng))
    else:
        raise ApiError(404, f"no table {table!r}; one of groups, {', '.join(TABLES)}")
    body = to_csv(columns, ([row.get(column) for column in columns] for row in rows))
    name = f"insights-{table}-{rng.first.isoformat()}-{rng.last.isoformat()}.csv"
    return HttpResponse(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
