"""Searches and page totals (libs/search.py) on SQLite: the FTS5 trigram path finds exactly the rows the plain LIKE
finds, triggers keep it in sync, totals are capped, the contacts' index-only paging gives the pages it always gave,
and migration 0003 goes up and down over existing rows."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

import libs.search as search
from app import create_app
from extensions import db
from models.message import Message
from models.types import utcnow
from models.wechat import Account, Contact
from wechat.messages.retention import delete_messages

START = datetime(2026, 5, 1, tzinfo=UTC)
TEXTS = [
    "Hello World", "hello world", "HELLO", "50% off today", "50 percent off", "snake_case name", "snakeXcase name",
    r"C:\path\to\file", r"back\slash", "🐍 Python 🐍", "🐍🐍🐍", "红包来了", "抢红包啦 🧧", "École", "école", "ÉCOLE",
    'say "hi" there', "tab\there", "  spaces  ", r"a%b_c\d", "Straße", "STRASSE", "İstanbul", "istanbul",
    "👩‍👩‍👧 family", "emoji 😀😀 twice", "", "x",
]
NEEDLES = [
    "hello", "HELLO", "llo w", "50%", "0% o", "%", "_", "e_c", "snake_case", "\\", r"h\t", r"back\sl", "🐍", "🐍🐍",
    "🐍🐍🐍", "🐍 P", "红包", "红包来", "école", "École", "ÉCOLE", '"hi"', 'say "', "\"", "b\th", "nomatch",
    r"a%b_c\d", "straße", "é", "istanbul", "İst", "👩‍👩", "😀😀", "Python", "pYtHoN", "o", "xyz",
]
ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def like_matches(needle: str, text: str) -> bool:
    """SQLite's LIKE '%needle%' with % _ \\ escaped: a literal substring, case-insensitive for ASCII only."""
    return needle.translate(ASCII_FOLD) in text.translate(ASCII_FOLD)


def make_account() -> Account:
    account = Account(puid="self", nick_name="bot", last_login_at=utcnow())
    db.session.add(account)
    db.session.commit()
    return account


def add_messages(account: Account, texts: list[str], chat: str = "g1") -> list[Message]:
    rows = [Message(account_id=account.id, msg_id=f"{chat}-{n}", type="text", chat_kind="group", chat_puid=chat,
                    text=text, created_at=START + timedelta(minutes=n)) for n, text in enumerate(texts)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def add_old_messages(account_id: int, texts: list[str], chat: str = "g1") -> None:
    """Rows written as a schema of 0002/0003 stores them: only the columns every revision has (the model may
    already have later ones that the old table lacks)."""
    statement = sa.text("INSERT INTO messages (account_id, msg_id, type, chat_kind, chat_puid, chat_name, sender_name,"
                        " is_outgoing, text, created_at, received_at) VALUES (:account, :msg_id, 'text', 'group',"
                        " :chat, '', '', 0, :text, :at, :at)")
    for n, text in enumerate(texts):
        at = (START + timedelta(minutes=n)).replace(tzinfo=None)
        db.session.execute(statement, {"account": account_id, "msg_id": f"{chat}-{n}", "chat": chat, "text": text,
                                       "at": at})
    db.session.commit()


def api(client, token: str, path: str, **params) -> dict:
    response = client.get(path, query_string=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def found_texts(client, token: str, needle: str, **params) -> list[str]:
    body = api(client, token, "/api/messages", q=needle, per_page=200, **params)
    assert body["total"] == len(body["items"]) and body["total_capped"] is False
    return [item["text"] for item in body["items"]]


def uses_fts(account_id: int, needle: str) -> bool:
    query, count = search.message_search(account_id, [], needle)
    return search.FTS_TABLE in str(query) or search.FTS_TABLE in str(count)


def fts_consistent() -> None:
    """FTS5's own check of the index against the messages table (raises if a trigger missed a change)."""
    db.session.execute(sa.text("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("common", [False, True], ids=["rare-term plan", "common-term plan"])
def test_fts_finds_exactly_what_like_finds(app, client, api_token, monkeypatch, common):
    if common:  # every term counts as common: the page by LIKE over the time index, the count through the FTS
        monkeypatch.setattr(search, "RARE_MATCHES", 0)
    account = make_account()
    add_messages(account, TEXTS)
    for needle in NEEDLES:
        expected = [text for text in reversed(TEXTS) if like_matches(needle, text)]  # newest first
        assert found_texts(client, api_token, needle) == expected, needle
        with app.test_request_context():
            assert uses_fts(account.id, needle) == (len(needle) >= 3), needle


def test_fts_path_keeps_the_other_filters_and_the_account(app, client, api_token):
    account = make_account()
    add_messages(account, ["deploy one", "deploy two"], chat="g1")
    add_messages(account, ["deploy three"], chat="g2")
    other = Account(puid="other", nick_name="other")
    db.session.add(other)
    db.session.commit()
    add_messages(other, ["deploy elsewhere"], chat="g1")
    # newest first; "three" was sent at the same minute as "one" and is the later row
    assert found_texts(client, api_token, "deploy") == ["deploy two", "deploy three", "deploy one"]
    assert found_texts(client, api_token, "deploy", chat="g1") == ["deploy two", "deploy one"]
    since = (START + timedelta(seconds=30)).isoformat()
    assert found_texts(client, api_token, "deploy", chat="g1", since=since) == ["deploy two"]
    assert found_texts(client, api_token, "deploy", type="picture") == []


def test_triggers_follow_insert_update_and_every_delete(app, client, api_token):
    account = make_account()
    first, second, third = add_messages(account, ["alpha message", "beta message", "gamma message"])
    add_messages(account, ["delta in chat two"], chat="g2")
    assert found_texts(client, api_token, "alpha") == ["alpha message"]

    duplicate_and_new = [{"account_id": account.id, "msg_id": msg_id, "type": "text", "chat_kind": "group",
                          "chat_puid": "g1", "text": text, "created_at": START, "received_at": START}
                         for msg_id, text in [("g1-0", "alpha again"), ("bulk", "epsilon by bulk")]]
    db.session.execute(sqlite_insert(Message).on_conflict_do_nothing(), duplicate_and_new)  # as the archive batches
    first.text = "renamed to omega"
    db.session.commit()
    assert found_texts(client, api_token, "epsilon") == ["epsilon by bulk"]
    assert found_texts(client, api_token, "alpha") == []
    assert found_texts(client, api_token, "omega") == ["renamed to omega"]

    assert delete_messages(Message.id == second.id) == 1  # retention's batched delete
    assert found_texts(client, api_token, "beta") == []
    response = client.delete("/api/messages?chat=g2", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 200 and response.json == {"deleted": 1}  # a chat's archive deleted
    assert found_texts(client, api_token, "delta") == []
    assert found_texts(client, api_token, "message") == ["gamma message"]
    assert found_texts(client, api_token, "again") == []  # the skipped duplicate left nothing in the index
    fts_consistent()


def test_message_totals_are_capped(app, client, api_token, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    account = make_account()
    add_messages(account, [f"common text {n}" for n in range(12)])
    first = api(client, api_token, "/api/messages", per_page=2)
    assert (first["total"], first["total_capped"], len(first["items"])) == (5, True, 2)
    last = api(client, api_token, "/api/messages", per_page=5, page=3)  # a partial last page: known exactly
    assert (last["total"], last["total_capped"], len(last["items"])) == (12, False, 2)
    beyond = api(client, api_token, "/api/messages", per_page=2, page=4)  # past the cap, still full
    assert (beyond["total"], beyond["total_capped"]) == (8, True)
    past_end = api(client, api_token, "/api/messages", per_page=5, page=9)
    assert (past_end["total"], past_end["total_capped"], past_end["items"]) == (5, True, [])
    for plan in ("rare", "common"):  # the FTS-driven counts cap too
        monkeypatch.setattr(search, "RARE_MATCHES", 100 if plan == "rare" else 0)
        body = api(client, api_token, "/api/messages", q="common", per_page=2)
        assert (body["total"], body["total_capped"]) == (5, True), plan
    exact = api(client, api_token, "/api/messages", q="text 1", per_page=2)  # "text 1", "text 10", "text 11"
    assert (exact["total"], exact["total_capped"]) == (3, False)


NAMES = ["张伟", "张伟🐍", "alice", "Alice Smith", "ALICE", "bob_x", "bobXx", "50%off", "王五", "Zed", "zed", "a\\b",
         "", "coder12", "Coder123", "张三"]


def people(account: Account) -> None:
    rows = []
    for n, name in enumerate(NAMES * 3):  # duplicate names: the order falls back to the id
        remark = NAMES[(n * 7) % len(NAMES)] if n % 4 == 0 else ""
        rows.append(Contact(account_id=account.id, puid=f"p{n:03d}", nick_name=name, remark_name=remark,
                            is_friend=n % 5 != 4, is_mp=n % 5 == 4))
    db.session.add_all(rows)
    db.session.commit()


def reference_page(is_mp: bool, needle: str, page: int, per_page: int) -> tuple[list[int], int]:
    """The contacts query as it was before 0003 (full rows, lower() on both names, a count of everything)."""
    query = sa.select(Contact).where(Contact.account_id.isnot(None),
                                     (Contact.is_mp if is_mp else Contact.is_friend).is_(True))
    if needle:
        pattern = search.like_pattern(needle.lower())
        query = query.where(sa.or_(sa.func.lower(Contact.nick_name).like(pattern, escape="\\"),
                                   sa.func.lower(Contact.remark_name).like(pattern, escape="\\")))
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(Contact.nick_name, Contact.id).limit(per_page)
                              .offset((page - 1) * per_page)).scalars()
    return [row.id for row in rows], total


def first_ids(is_mp: bool, needle: str, page: int, per_page: int) -> list[int]:
    return reference_page(is_mp, needle, page, per_page)[0]


@pytest.mark.parametrize("path", ["/api/contacts", "/api/mps"])
def test_contact_pages_are_the_pages_they_were(app, client, api_token, path):
    people(make_account())
    for needle in ["", "张伟", "alice", "ALICE", "ali", "_", "%", "50%", "\\", "zed", "coder12", "nomatch", "🐍"]:
        for per_page, page in [(5, 1), (5, 2), (5, 4), (7, 3), (50, 1), (3, 30)]:
            body = api(client, api_token, path, q=needle, page=page, per_page=per_page)
            ids, total = reference_page(path == "/api/mps", needle, page, per_page)
            assert [item["id"] for item in body["items"]] == ids, (needle, page, per_page)
            assert (body["total"], body["total_capped"]) == (total, False), (needle, page, per_page)


def test_contact_totals_are_capped(app, client, api_token, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 10)
    people(make_account())  # 48 contacts, 39 friends
    first = api(client, api_token, "/api/contacts", per_page=4)
    assert (first["total"], first["total_capped"], len(first["items"])) == (10, True, 4)
    deep = api(client, api_token, "/api/contacts", per_page=4, page=5)  # beyond the cap: walked to its end
    assert (deep["total"], deep["total_capped"], len(deep["items"])) == (20, True, 4)
    last = api(client, api_token, "/api/contacts", per_page=4, page=10)
    assert (last["total"], last["total_capped"], len(last["items"])) == (39, False, 3)
    few = api(client, api_token, "/api/contacts", q="alice", per_page=2)
    assert (few["total"], few["total_capped"]) == (reference_page(False, "alice", 1, 2)[1], False)
    assert few["total"] < 10
    matching_a = reference_page(False, "a", 1, 4)[1]
    assert matching_a > 6
    monkeypatch.setattr(search, "NAME_SEARCH_CAP", 5)  # a name search counts in the walk that finds its page
    many = api(client, api_token, "/api/contacts", q="a", per_page=2)
    assert (many["total"], many["total_capped"]) == (5, True)
    assert [item["id"] for item in many["items"]] == first_ids(False, "a", 1, 2)
    beyond = api(client, api_token, "/api/contacts", q="a", per_page=2, page=4)  # walked to the page's end
    assert (beyond["total"], beyond["total_capped"]) == (8, True)
    assert [item["id"] for item in beyond["items"]] == first_ids(False, "a", 4, 2)
    last = api(client, api_token, "/api/contacts", q="a", per_page=2, page=(matching_a + 1) // 2)
    assert (last["total"], last["total_capped"]) == (matching_a, False)
    past_end = api(client, api_token, "/api/contacts", q="alice", per_page=4, page=9)
    assert (past_end["total"], past_end["total_capped"], past_end["items"]) == (few["total"], False, [])


def test_plans_use_the_indexes_without_statistics(app, client, api_token):
    """Production never runs ANALYZE: with no statistics SQLite must still take the FTS rowids and the covering
    index, not walk an account index checking every row."""
    account = make_account()
    add_messages(account, ["deploy one", "deploy two"])
    people(account)
    assert db.session.execute(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
    plans = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if "FROM messages" in statement or "FROM contacts" in statement:
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans.append((statement, " | ".join(row[-1] for row in rows)))

    sa.event.listen(db.engine, "before_cursor_execute", explain)
    try:
        api(client, api_token, "/api/messages", q="deploy", chat="g1")
        api(client, api_token, "/api/contacts", q="zzz")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", explain)
    message_plans = [plan for statement, plan in plans if "messages_fts.messages_fts MATCH" in statement
                     and "JOIN" not in statement and "FROM messages " in statement]
    assert message_plans and all("SEARCH messages USING INTEGER PRIMARY KEY" in plan for plan in message_plans), plans
    contact_plans = [plan for statement, plan in plans if "contacts.nick_name LIKE" in statement]
    assert contact_plans and all("COVERING INDEX ix_contacts_account_names" in plan for plan in contact_plans), plans


def test_a_database_without_the_fts_table_still_searches(app, client, api_token):
    """A database made by create_all (or downgraded) has no messages_fts: the LIKE alone answers."""
    account = make_account()
    add_messages(account, TEXTS)
    for statement in ("DROP TRIGGER messages_fts_insert", "DROP TRIGGER messages_fts_delete",
                      "DROP TRIGGER messages_fts_update", "DROP TABLE messages_fts"):
        db.session.execute(sa.text(statement))
    db.session.commit()
    assert found_texts(client, api_token, "hello") == ["HELLO", "hello world", "Hello World"]
    with app.test_request_context():
        assert not uses_fts(account.id, "hello")


def test_migration_0003_up_and_down_over_existing_rows(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "x"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(sa.text("INSERT INTO accounts (puid, nick_name, created_at)"
                                   " VALUES ('self', 'bot', '2026-05-01 00:00:00')"))
        account_id = db.session.execute(sa.text("SELECT id FROM accounts")).scalar_one()
        add_old_messages(account_id, ["before the upgrade", "another one"])
        upgrade()
        fts_ids = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"upgrade\"'"
        assert db.session.execute(sa.text(fts_ids)).scalars().all() == [1]  # 'rebuild' indexed the old rows
        fts_consistent()
        assert {index["name"] for index in sa.inspect(db.engine).get_indexes("contacts")} >= {
            "ix_contacts_account_names", "ix_contacts_account_remark"}
        db.session.commit()

        downgrade(revision="0002")
        inspector = sa.inspect(db.engine)
        assert not [name for name in inspector.get_table_names() if name.startswith("messages_fts")]
        assert "ix_contacts_account_nick" in {index["name"] for index in inspector.get_indexes("contacts")}
        add_old_messages(account_id, ["written while downgraded"], chat="g9")  # no trigger left behind to fail

        upgrade()
        assert db.session.execute(sa.text(fts_ids.replace("upgrade", "downgraded"))).scalars().all() == [3]
        fts_consistent()
        db.session.remove()
        db.engine.dispose()


def test_autogenerate_ignores_exactly_the_search_indexes():
    keep = search.include_in_autogenerate
    assert not keep("messages_fts", "table", {}) and not keep("messages_fts_idx", "table", {})
    assert not keep("ix_messages_text_trgm", "index", {})
    assert keep("messages", "table", {}) and keep("ix_contacts_account_names", "index", {})
