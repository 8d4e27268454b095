"""Property-based fuzzing of every route of the OpenAPI document (and /stream) with hostile values, on SQLite,
PostgreSQL and MariaDB/MySQL (issue 15).

Values come from all of Unicode (lone surrogates, controls, bidi overrides, NUL, very long strings), extreme
numbers (beyond 32 and 64 bits, NaN, infinities), dates at the calendar's edges, cron strings that never fire,
format-spec tricks and JSON nested thousands deep. Bodies start from a valid payload where a route stores
something, so the hostile value reaches the validators and the database rather than an early "missing field".
Asserted: never a 5xx (but the documented 502/503 "WeChat not logged in"), never an answer slower than 10 s,
and nothing in any table that MySQL would refuse (libs/validation.check_column over every stored row).
Bounded: FUZZ_EXAMPLES examples per operation (default 10: about 70 s for the three engines).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from extensions import db
from libs.validation import ValueInvalid, check_column
from models.admin import AdminUser, ApiToken
from models.wechat import Account
from tests.conftest import IsolatedClient
from tests.fixtures.databases import throwaway_database
from views.openapi import spec
from wechat import autoreply
from wechat.automation import settings as automation_settings
from wechat.schedules import service as schedules

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
MAX_SECONDS = 10.0

# -- hostile values ------------------------------------------------------------------------------------------------
SPECIAL = ["\x00", "\ud800", "\udfff", "\ud83d", "\u202e", "\u2066", "\u2069", "\r\n", "\x1b[31m", "\ufeff",
           "\u200d", "{", "}", "{name:>99999999}", "{group.__class__}", "{0[0]}", "%", "_", "\\", "'", '"', "🐍",
           "<script>", "../../etc/passwd", "0 0 30 2 *", "@daily", " ", "a" * 65]
LONG = ["x" * 100_000, "长" * 70_000, "🎉" * 20_000, " " * 40_000 + "b"]
DATES = ["0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31", "9999-12-31T23:59:59-12:00",
         "9999-12-31T23:59:59.999999+14:00", "1000-01-01", "0999-12-31T23:59:59Z", "2026-02-30", "2026-13-01",
         "1970-01-01T00:00:00Z", "2038-01-19T03:14:08Z", "2099-06-01T09:30", "+10000-01-01", "2026-05-01T25:00"]
INTS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
CRONS = ["0 0 30 2 *", "0 0 31 4 *", "* * * * *", "@yearly", "*/0 * * * *", "60 * * * *", "* " * 200 + "*"]

characters = st.one_of(st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
                       st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))  # lone surrogates
texts = st.one_of(st.text(characters, max_size=40), st.sampled_from(SPECIAL + DATES + CRONS),
                  st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=6).map("".join), st.sampled_from(LONG))
numbers = st.one_of(st.sampled_from(INTS), st.integers(), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(characters, max_size=8), inner, max_size=4), max_leaves=8)
RAW_BODIES = ["[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, '{"to": [18446744073709551616]}',
              '{"name": "\\ud800"}', '{"text": NaN}', "{", "", "\x00", '{"n": ' + "9" * 5000 + "}"]

# Valid payloads for the routes that store something, so that a mutation lands past the "missing field" checks.
BASELINES = {
    ("post", "/api/schedules"): {"to": ["friend-1"], "text": "hi", "cron": "@daily", "name": "morning"},
    ("put", "/api/schedules/{schedule_id}"): {"name": "renamed"},
    ("post", "/api/autoreplies"): {"mode": "contains", "pattern": "hello", "reply": "hi", "position": 1},
    ("put", "/api/autoreplies/{rule_id}"): {"reply": "changed"},
    ("put", "/api/settings/automation"): {"welcome_text": "欢迎 {name}"},
    ("post", "/api/blacklist"): {"puid": "p1", "nick_name": "someone"},
    ("post", "/api/tokens"): {"name": "ci"},
    ("post", "/api/messages/send"): {"to": ["friend-1"], "text": "hi"},
    ("put", "/api/plugins/{name}"): {"settings": {"max_tokens": 100}},
    ("post", "/api/sync"): {"what": "contacts"},
    ("post", "/api/me/password"): {"current": "wrong", "new": "0123456789ab"},
    ("post", "/api/accounts"): {"slot": "shop", "driver": "padpro", "base_url": "http://8.8.8.8/", "key": "k"},
}
EXTRA_KEYS = {
    ("post", "/api/schedules"): schedules.FIELDS, ("put", "/api/schedules/{schedule_id}"): schedules.FIELDS,
    ("post", "/api/autoreplies"): autoreply.FIELDS, ("put", "/api/autoreplies/{rule_id}"): autoreply.FIELDS,
    ("put", "/api/settings/automation"): tuple(automation_settings.DEFAULTS),
}
PATH_VALUES = {"name": ["llm", "autoreply", "help"], "kind": ["contacts", "groups"]}


def operations() -> list[tuple[str, str, dict]]:
    ops = [(method, path, operation) for path, methods in spec()["paths"].items()
           for method, operation in methods.items()]
    return sorted(ops, key=lambda op: (op[1], op[0])) + [("get", "/stream", {"parameters": [
        {"name": "events", "in": "query"}, {"name": "last_event_id", "in": "query"}]})]


def body_keys(method: str, path: str, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    documented = set(content.get("application/json", {}).get("schema", {}).get("properties", {}))
    return sorted(documented | set(BASELINES.get((method, path), {})) | set(EXTRA_KEYS.get((method, path), ())))


def resolved(parameter: dict) -> dict:
    """A parameter, or the shared one its `$ref` names (#/components/parameters/<name>)."""
    if "$ref" in parameter:
        return spec()["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
    return parameter


@st.composite
def requests(draw, method: str, path: str, operation: dict) -> dict:
    """Keyword arguments for the test client: a concrete path, query, headers and body."""
    concrete = path
    for name in re.findall(r"{([^}]+)}", path):
        if name.endswith("_id"):
            value = str(draw(st.one_of(st.sampled_from([1, 2, 3]), st.sampled_from(INTS))))
        else:
            value = draw(st.one_of(st.sampled_from(PATH_VALUES.get(name, ["p1"])), texts))
        concrete = concrete.replace("{" + name + "}", quote(value.encode("utf-8", "surrogatepass"), safe="") or "x")
    query, headers = {}, {}
    for parameter in map(resolved, operation.get("parameters", [])):
        if parameter["in"] == "query" and draw(st.booleans()):
            query[parameter["name"]] = str(draw(st.one_of(texts, numbers)))
        elif parameter["in"] == "header" and draw(st.booleans()):
            headers[parameter["name"]] = draw(st.one_of(
                st.sampled_from(["1", "2", "0", "-1", "18446744073709551616", "", "1,2"]),
                st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)))
    query_string = "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                            for k, v in query.items())
    kwargs: dict = {"path": concrete + ("?" + query_string if query_string else ""), "method": method.upper(),
                    "headers": headers}
    if path == "/stream" and draw(st.booleans()):
        kwargs["headers"]["Last-Event-ID"] = draw(st.one_of(
            st.sampled_from(["99999999999999999999-0", "0-18446744073709551616", "1-1", "abc", "-1-0"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)))
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        name = draw(texts)[:300].encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        data = draw(st.sampled_from([b"\xff\xfeMZ\x90\x00" + b"\x00" * 60, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                                     "文本\n".encode() * 10, b"\x00" * 10, b"MZ"]))
        kwargs["data"] = {"file": (io.BytesIO(data), name)}
    elif "application/json" in content:
        if draw(st.integers(0, 9)) == 0:
            kwargs["data"] = draw(st.sampled_from(RAW_BODIES))
        else:
            body = dict(BASELINES.get((method, path), {}))
            keys = body_keys(method, path, operation)
            for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)) if keys else []:
                body[key] = draw(values)
            kwargs["data"] = json.dumps(body, allow_nan=True)  # lone surrogates go out as "\ud800" escapes
        kwargs["content_type"] = "application/json"
    return kwargs


# -- the app on each engine ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def fuzz_app(request, tmp_path_factory, migrated_db, redis_server) -> Iterator:
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        shutil.copy(migrated_db, folder / "fuzz.db")
        yield from _app(f"sqlite:///{folder / 'fuzz.db'}", folder, redis_server, migrate=False)
    else:
        with throwaway_database(request.param) as url:
            yield from _app(url, folder, redis_server, migrate=True)


def _app(url: str, folder, redis_server, migrate: bool) -> Iterator:
    redis_server.client().flushall()
    app = create_app({"TESTING": True, "SECRET_KEY": "fuzz", "SQLALCHEMY_DATABASE_URI": url,
                      "REDIS_URL": redis_server.url}, instance_path=str(folder / "instance"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if migrate:
            upgrade()
        db.session.add(Account(puid="bot-puid", nick_name="bot", last_login_at=datetime.now(UTC)))
        admin = AdminUser(username="fuzz")
        admin.set_password("not used by the fuzzer")
        db.session.add(admin)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def fresh_token() -> str:
    """A new token per operation: a route under test may revoke tokens or deactivate the admin."""
    admin = db.session.execute(db.select(AdminUser).where(AdminUser.username == "fuzz")).scalar_one()
    admin.is_active_flag = True
    token, clear = ApiToken.issue(admin, "fuzz")
    db.session.add(token)
    db.session.commit()
    return clear


def unstorable_rows() -> list[str]:
    """Every stored value MySQL would refuse (its column's length, NUL, surrogates, integer and date ranges)."""
    problems = []
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).mappings():
            for column in table.columns:
                try:
                    check_column(column, row[column.key], f"{table.name}.{column.key}")
                except ValueInvalid as exc:
                    problems.append(f"{exc} (row {row.get('id')})")
    return problems


def exercise(client, token: str, method: str, path: str, operation: dict):
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(kwargs=requests(method, path, operation))
    def run(kwargs):
        kwargs["headers"]["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        response = client.open(buffered=path != "/stream", **kwargs)
        elapsed = time.monotonic() - started
        status = response.status_code
        response.close()  # a /stream that answered 200 is left at once
        where = f"{kwargs['method']} {kwargs['path'][:200]}"
        # 502/503 are documented answers here (WeChat is not logged in); a 500 is a bug.
        assert status < 500 or status in (502, 503), f"{status} from {where}: {response.get_data(as_text=True)[:300]}"
        assert elapsed < MAX_SECONDS, f"{where} took {elapsed:.1f} s"
    run()


@pytest.mark.parametrize("method, path, operation", operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_fuzz_never_5xx_and_stores_only_what_every_engine_takes(fuzz_app, method, path, operation):
    client = fuzz_app.test_client()
    exercise(client, fresh_token(), method, path, operation)
    assert unstorable_rows() == []
