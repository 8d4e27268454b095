"""Ordinary bad values (issue 15): each class once seen as a 500, or stored where the strictest engine refuses it,
is a 400 with {"error", "field"}; the central pieces (libs/validation.py, libs/api.py's JSON loader,
libs/text_template.py) are unit-tested below. In-process against the real app, its migrated SQLite and Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from extensions import db
from libs import text_template
from libs.api import strict_loads
from libs.sse import valid_event_id
from libs.uploads import UploadError, classify
from libs.validation import ValueInvalid, check_column, check_json_value, check_text, to_utc
from models.admin import ApiToken
from models.plugin import AutoReplyRule
from models.schedule import Schedule
from models.send_job import SendJob, SendJobItem
from models.types import LongText
from models.wechat import Account

DEEP = "[" * 5000 + "]" * 5000
RAW_BODIES = [
    ("deep-nesting", DEEP, "body"),
    ("deep-object", '{"a":' * 40 + "1" + "}" * 40, "a.a.a"),
    ("int-beyond-64-bits", '{"name": "x", "n": 18446744073709551616}', "n"),
    ("int-4301-digits", '{"n": ' + "9" * 4301 + "}", "n"),
    ("lone-surrogate", '{"name": "a\\ud800b"}', "name"),
    ("lone-low-surrogate-key", '{"\\udfff": 1}', "body"),
    ("nul", '{"name": "a\\u0000b"}', "name"),
    ("nan", '{"name": NaN}', "name"),
    ("infinity", '{"name": 1e999}', "name"),
    ("not-json", "{'name': 1}", "body"),
]


@pytest.fixture
def api(client, api_token):
    def call(method: str, path: str, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {api_token}", **kwargs.pop(
            "headers", {})}, **kwargs)
    return call


@pytest.fixture
def account(app):
    row = Account(puid="bot-puid", nick_name="bot", last_login_at=datetime.now(UTC))
    db.session.add(row)
    db.session.commit()
    return row


def assert_400(response, field: str | None = None, text: str | None = None) -> None:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.json
    assert isinstance(body["error"], str)
    if field is not None:
        assert body.get("field", "").startswith(field) or field in body["error"], body
    if text is not None:
        assert text.lower() in body["error"].lower(), body


@pytest.mark.parametrize("raw, field", [c[1:] for c in RAW_BODIES], ids=[c[0] for c in RAW_BODIES])
def test_hostile_json_bodies_are_400_before_any_route(api, raw, field):
    for path in ("/api/tokens", "/api/messages/send"):
        response = api("POST", path, data=raw, content_type="application/json")
        assert_400(response)
        assert "field" in response.json
    assert db.session.execute(db.select(ApiToken).where(ApiToken.name != "tests")).first() is None


@pytest.mark.parametrize("query, field", [
    ("since=0001-01-01", "since"), ("until=9999-12-31T23:59:59-12:00", "until"),
    ("until=9999-12-31T23:00:00Z", "until"),
    ("q=a%00b", "q"), ("chat=%00", "chat"), ("since=0999-12-31T00:00:00Z", "since"),
])
def test_query_values_at_the_edges_are_400(api, query, field):
    assert_400(api("GET", f"/api/messages?{query}"), field)


def test_nul_in_a_path_value_is_400(api, account):
    assert_400(api("DELETE", "/api/blacklist/a%00b"))


@pytest.mark.parametrize("body, field, text", [
    ({"cron": "0 0 30 2 *"}, "cron", "never fires"),
    ({"cron": "* " * 100 + "*"}, "cron", None),
    ({"run_at": "0001-01-01T00:00"}, "run_at", "between"),
    ({"run_at": "9999-12-31T23:59:59"}, "run_at", "between"),
    ({"run_at": "9999-12-31T23:59:59-12:00"}, "run_at", "between"),
    ({"cron": "@daily", "name": "Evil\u202egnp.exe"}, "name", "bidirectional"),
    ({"cron": "@daily", "name": "x" * 121}, "name", "too long"),
    ({"cron": "@daily", "to": ["p" * 65]}, "to", None),
])
def test_schedule_values_are_checked(api, account, body, field, text):
    response = api("POST", "/api/schedules", json={"to": ["friend-1"], "text": "hi", **body})
    assert_400(response, field, text)
    assert db.session.execute(db.select(Schedule)).first() is None


@pytest.mark.parametrize("name", ["ci\u202e", "a\u2066b\u2069", "\u202ak"])
def test_token_names_refuse_bidi_controls(api, name):
    assert_400(api("POST", "/api/tokens", json={"name": name}), "name", "bidirectional")


def test_send_job_recipients_longer_than_the_column_are_refused(api):
    assert_400(api("POST", "/api/messages/send", json={"to": ["r" * 65], "text": "x"}), None, "64")
    assert db.session.execute(db.select(SendJob)).first() is None


def test_autoreply_position_beyond_32_bits_is_refused(api, account):
    response = api("POST", "/api/autoreplies", json={"mode": "exact", "pattern": "hi", "reply": "yo",
                                                     "position": 2**40})
    assert_400(response, "position")
    assert db.session.execute(db.select(AutoReplyRule)).first() is None


@pytest.mark.parametrize("template", ["{name:>99999999}", "{name.__class__}", "{0[0]}", "{name!r}",
                                      "{name:{name}}"])
def test_format_spec_tricks_in_templates_are_refused(api, account, template):
    assert_400(api("PUT", "/api/settings/automation", json={"welcome_text": template}), "welcome_text")


def test_llm_max_tokens_is_bounded(api):
    response = api("PUT", "/api/plugins/llm", json={"settings": {"max_tokens": 10**18}})
    assert_400(response, "settings.max_tokens")
    assert api("PUT", "/api/plugins/llm", json={"settings": {"max_tokens": 4096}}).status_code == 200


@pytest.mark.parametrize("value", ["99999999999999999999-0", "0-18446744073709551616", "abc", "1-0 event", "-1-0"])
def test_malformed_last_event_id_is_400_before_streaming(api, value):
    for kwargs in ({"headers": {"Last-Event-ID": value}}, {"query_string": {"last_event_id": value}}):
        response = api("GET", "/stream", buffered=False, **kwargs)
        try:
            assert response.status_code == 400 and response.is_json, response.status_code
        finally:
            response.close()


# -- the central pieces --------------------------------------------------------------------------------------------
def test_check_column_reads_limits_from_the_model():
    check_column(Schedule.name, "名" * 120)
    with pytest.raises(ValueInvalid, match="too long"):
        check_column(Schedule.name, "名" * 121)
    with pytest.raises(ValueInvalid, match="NUL"):
        check_column(Schedule.text, "a\x00")
    with pytest.raises(ValueInvalid, match="surrogate"):
        check_column(SendJobItem.recipient_puid, "\udc80")
    with pytest.raises(ValueInvalid, match="whole number"):
        check_column(AutoReplyRule.position, 2**31)
    check_column(AutoReplyRule.position, 2**31 - 1)
    with pytest.raises(ValueInvalid, match="between"):
        check_column(Schedule.run_at, datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueInvalid, match="64 bits"):
        check_column(Schedule.files, [2**63])
    assert LongText is not None
    with pytest.raises(ValueInvalid, match="bytes"):  # MEDIUMTEXT: 16 MB of UTF-8, not characters
        check_column(Schedule.text, "🎉" * (2**22))


def test_check_json_value_is_iterative_and_bounded():
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(ValueInvalid, match="nested"):
        check_json_value(deep, "x")
    with pytest.raises(ValueInvalid, match="finite"):
        check_json_value({"a": [float("nan")]}, "")


def test_strict_loads_names_the_field():
    with pytest.raises(ValueInvalid) as error:
        strict_loads('{"a": {"b": [1, "\\u0000"]}}')
    assert error.value.field == "a.b[1]"
    assert strict_loads('{"n": -9223372036854775808, "t": "🐍\\ud83d\\udc0d"}') == {"n": -2**63, "t": "🐍🐍"}


def test_to_utc_turns_overflow_into_a_400():
    from zoneinfo import ZoneInfo

    with pytest.raises(ValueInvalid):
        to_utc(datetime(1, 1, 1), "since", ZoneInfo("Asia/Shanghai"))
    assert to_utc(datetime(2026, 5, 1, 8), "since", ZoneInfo("Asia/Shanghai")) == datetime(2026, 5, 1, tzinfo=UTC)


def test_display_names_refuse_bidi_text_does_not():
    check_text("שלום \u202e", "text")
    with pytest.raises(ValueInvalid):
        check_text("שלום \u202e", "name", display_name=True)


def test_templates_fill_only_plain_names():
    assert text_template.fill("{name:>99999999}|{name.x}|{{lit}}|{name}", name="Bob") == \
        "{name:>99999999}|{name.x}|{lit}|Bob"
    assert text_template.check("欢迎 {name}", {"name"}) == "欢迎 {name}"
    with pytest.raises(text_template.TemplateInvalid):
        text_template.check("{name:>9}", {"name"})


@pytest.mark.parametrize("head", [b"\xff\xfeMZ\x90\x00\x03\x00", b"\xfe\xff\x7fELF\x02\x01", b"\xef\xbb\xbfMZ",
                                  b"\xff\xfe" + "a\x01b".encode("utf-16-le")])
def test_txt_upload_with_a_bom_in_front_of_anything_else_is_refused(head):
    with pytest.raises(UploadError):
        classify("notes.txt", head + b"\x00" * 64, frozenset({"txt"}))


def test_utf16_text_with_its_bom_is_still_text():
    head = b"\xff\xfe" + "会议纪要\r\n第一项".encode("utf-16-le")
    assert classify("notes.txt", head, frozenset({"txt"}))[0].mime == "text/plain"


def test_stream_ids_are_bounded_to_64_bits():
    assert valid_event_id("18446744073709551615-18446744073709551615") is not None
    assert valid_event_id("18446744073709551616-0") is None


def test_json_errors_carry_the_field(api):
    response = api("POST", "/api/tokens", data=json.dumps({"name": "ok", "x": [[[]]]}) + "x",
                   content_type="application/json")
    assert_400(response, "body", "malformed")


def test_audit_targets_are_cut_to_the_column_never_a_database_error(api):
    """Found by the fuzzer: a 300-character puid in a path became an audit target longer than its column (a 500
    on MySQL, silently stored on SQLite)."""
    from models.audit import AuditLog

    response = api("PUT", "/api/wechat/contacts/" + "p" * 300 + "/remark", json={"remark": "r"})
    assert response.status_code == 503  # WeChat is not logged in here; the attempt is still audited
    target = db.session.execute(db.select(AuditLog.target).where(AuditLog.action == "contact.remark")).scalar_one()
    assert target == "p" * 254 + "…"  # cut to the column, and marked as cut


def test_storage_guard_refuses_unstorable_values_flushed_in_a_request(app, account):
    """What a view forgets to check is still refused before the database, the same on every engine."""
    with app.test_request_context("/api/schedules", method="POST"):
        db.session.add(Schedule(account_id=account.id, name="n" * 121, kind="cron", cron="@daily",
                                timezone="UTC", created_by="root"))
        with pytest.raises(ValueInvalid) as error:
            db.session.flush()
        assert error.value.field == "schedules.name"
        db.session.rollback()
        schedule = Schedule(account_id=account.id, name="ok", kind="cron", cron="@daily", timezone="UTC",
                            created_by="root")
        db.session.add(schedule)
        db.session.flush()
        schedule.text = "a\x00b"
        with pytest.raises(ValueInvalid, match="NUL"):
            db.session.flush()
        db.session.rollback()
    # Outside a request (the worker), the guard stays out of the way.
    db.session.add(Schedule(account_id=account.id, name="n" * 121, kind="cron", cron="@daily", timezone="UTC",
                            created_by="root"))
    db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("username", ["root\u202e", "a\x00b", "x" * 81])
def test_cli_admin_names_are_checked_like_the_api(runner, username):
    result = runner.invoke(args=["create-admin", username, "--password", "long enough password"])
    assert result.exit_code != 0 and "USERNAME" in result.output


@pytest.mark.parametrize("path", ["/api", "/stream/x", "/api/nope"])
def test_errors_under_api_and_stream_are_json_even_for_a_browser(app, logged_in, path):
    for session in (app.test_client(), logged_in):  # signed out (401), signed in (404)
        response = session.get(path, headers={"Accept": "text/html"})
        assert response.status_code in (401, 404) and response.is_json, (path, response.status_code)


def test_oversized_json_body_is_413_before_parsing(api):
    response = api("POST", "/api/tokens", data='{"name": "' + "x" * (4 * 1024 * 1024) + '"}',
                   content_type="application/json")
    assert response.status_code == 413 and response.is_json


def test_plugin_limits_are_declared_on_numeric_settings_around_their_default():
    from wechat.plugins.spec import PluginInvalid, spec_from_object

    class Plugin:
        name = "p"
        settings = {"n": 5, "s": "x"}

        @staticmethod
        def main(msg):
            return None

    for limits in ({"s": (0, 1)}, {"n": (6, 9)}, {"n": (1,)}, {"missing": (0, 1)}):
        Plugin.limits = limits
        with pytest.raises(PluginInvalid, match="limits"):
            spec_from_object(Plugin, "test")
    Plugin.limits = {"n": (1, 10)}
    assert spec_from_object(Plugin, "test").limits == {"n": (1, 10)}
