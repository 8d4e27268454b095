"""Group insights in Chromium: joins the sandbox announced on chosen days show on those days, at desktop and
phone size; hostile names show as text (tables and charts). Reuses the live stack of tests/browser/conftest.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HOSTILE, OWNED_GROUP
from tests.fixtures.processes import wait_for

ZONE = ZoneInfo("Asia/Shanghai")  # the app's default TIMEZONE, and the browser contexts' zone


def _group_puid(live, name: str) -> str | None:
    groups = live.stack.api("GET", "/api/insights/groups").json["groups"]
    return next((g["puid"] for g in groups if g["name"] == name), None)


@pytest.fixture(scope="module")
def joins(live) -> dict:
    """Join notes in the owned group dated 5 and 2 days ago (10:00 local), injected through the sandbox."""
    live.ensure_logged_in()
    if _group_puid(live, OWNED_GROUP) is None:
        live.stack.api("POST", "/api/sync", json={"what": "all"})
    puid = wait_for(lambda: _group_puid(live, OWNED_GROUP), 45, what="the owned group synced")
    today = datetime.now(ZONE).date()
    days: dict[date, list[str]] = {today - timedelta(days=5): ["赵六"], today - timedelta(days=2): ["钱七", HOSTILE[0]]}
    for day, names in days.items():
        at = int(datetime.combine(day, time(10), ZONE).timestamp())
        quoted = '"、"'.join(names)
        live.stack.sandbox.control("messages", {"group": OWNED_GROUP, "type": "system",
                                                "content": f'你邀请"{quoted}"加入了群聊', "create_time": at})

    live.stack.sandbox.control("messages", {"group": "<b>恶意群名</b>", "from": "张三", "content": "{a|x} hi"})

    def recorded() -> bool:
        report = live.stack.api("GET", f"/api/insights/groups/{puid}").json
        groups = live.stack.api("GET", "/api/insights/groups").json["groups"]
        return sum(day["joins"] for day in report["days"]) == 3 and any(g["messages"] for g in groups)

    wait_for(recorded, 20, what="the join notes recorded")
    return {"puid": puid, "days": {day.isoformat(): len(names) for day, names in days.items()},
            "from": (today - timedelta(days=13)).isoformat(), "to": today.isoformat()}


def check_group_page(page, joins: dict) -> None:
    page.goto(f"/insights?group={joins['puid']}&from={joins['from']}&to={joins['to']}")
    for day, count in joins["days"].items():
        expect(page.locator(f'#days-table tr[data-date="{day}"] td.joins')).to_have_text(str(count))
    assert page.locator("#days-table td.joins").all_inner_texts().count("0") == \
        page.locator("#days-table tr[data-date]").count() - len(joins["days"])  # no join on any other day
    expect(page.locator("[data-summary=joins] .stat-value")).to_have_text("3")
    newcomers = page.locator("#newcomers-table")
    expect(newcomers).to_contain_text("赵六")
    expect(newcomers).to_contain_text("钱七")
    expect(page.locator("#members-chart canvas").first).to_be_attached()
    expect(page.locator("#heatmap-chart canvas").first).to_be_attached()
    csv = page.locator('.csv-link[data-table="days"]').get_attribute("href")
    assert csv.startswith("/api/insights/export/days.csv?") and joins["puid"] in csv


def check_comparison(page) -> None:
    page.goto("/insights")
    table = page.locator("#compare-table")
    expect(table.locator("td.name", has_text="<b>恶意群名</b>")).to_have_count(1)  # shown as text, not markup
    expect(table.locator("td.name", has_text=OWNED_GROUP)).to_have_count(1)
    expect(page.locator("#compare-chart canvas").first).to_be_attached()
    assert page.evaluate("window.__xss === undefined")
    assert page.locator("#compare-table b").count() == 0


def test_insights_desktop(web, live, joins):
    check_group_page(web.page, joins)
    check_comparison(web.page)


def test_insights_phone(phone, live, joins):
    page = phone.page
    check_group_page(page, joins)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    box = page.locator("#heatmap-chart").bounding_box()
    assert box["width"] >= 640  # the heatmap keeps its size and scrolls sideways inside its card
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="群洞察").click()
    expect(page.locator("h1")).to_have_text("群洞察")
    check_comparison(page)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
