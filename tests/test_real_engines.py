"""Migrations and Unicode on the real engines the machine runs (PostgreSQL, MariaDB/MySQL).

Each test creates its own database and drops it afterwards. Where a server is not reachable the test is skipped
with the reason shown in the summary (pytest -ra), never silently.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from app import create_app
from extensions import db
from libs.api import like_pattern
from libs.search import TRIGRAM_INDEXES, include_in_autogenerate
from models import Account, Contact, Message
from models.admin import AdminUser, ApiToken
from tests.fixtures.databases import engine_url, throwaway_database  # noqa: F401  (fixture)
from tests.fixtures.processes import redis_server  # noqa: F401  (fixture)

NICK = "🐍 Python✌群主 <script>alert(1)</script> 𝕏"


def test_migrations_and_unicode_on_real_engine(engine_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url, "SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        account = Account(puid="self", nick_name=NICK)
        db.session.add(account)
        db.session.flush()
        db.session.add(Contact(account_id=account.id, puid="c1", nick_name=NICK, signature="长" * 20000))
        db.session.add(Message(account_id=account.id, msg_id="9" * 20, type="text", chat_kind="friend",
                               text="🎉" * 30000, created_at=datetime(2026, 5, 1, tzinfo=UTC)))
        db.session.commit()
        db.session.expire_all()
        contact = db.session.execute(db.select(Contact)).scalar_one()
        message = db.session.execute(db.select(Message)).scalar_one()
        assert contact.nick_name == NICK and contact.signature == "长" * 20000
        assert message.text == "🎉" * 30000
        assert message.created_at == datetime(2026, 5, 1, tzinfo=UTC)
        db.session.remove()
        db.engine.dispose()


SEARCH_TEXTS = ["Hello World", "hello world", "50% off", "50 percent", "snake_case", "snakeXcase", "红包来了",
                "École", "école", "🐍 Python", r"back\slash", "nothing"]
SEARCH_NEEDLES = ["hello", "Hello", "50%", "%", "_", "e_c", "红包", "包", "0%", "école", "🐍", "\\", "Python", "zzz"]


def test_search_indexes_and_results_on_real_engine(engine_url, tmp_path, redis_server):  # noqa: F811
    """Migration 0003 on a real engine: the indexes it promises, models and migrations agreeing (the engine-specific
    search indexes aside), the API's searches finding exactly the plain LIKE's rows, and a way back down."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url, "SECRET_KEY": "x", "REDIS_URL": redis_server.url},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        assert_search_indexes(db.engine.dialect.name, present=True)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_name": include_in_autogenerate})
            assert compare_metadata(context, db.metadata) == []
        token = seed_search_data()
        client = app.test_client()
        for needle in SEARCH_NEEDLES:
            response = client.get("/api/messages", query_string={"q": needle, "per_page": 200},
                                  headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.get_data(as_text=True)
            plain = select(Message.text).where(Message.text.like(like_pattern(needle), escape="\\")) \
                .order_by(Message.created_at.desc(), Message.id.desc())
            assert [m["text"] for m in response.json["items"]] == db.session.execute(plain).scalars().all(), needle
            assert response.json["total_capped"] is False
            response = client.get("/api/contacts", query_string={"q": needle, "per_page": 3},
                                  headers={"Authorization": f"Bearer {token}"})
            pattern = like_pattern(needle.lower())
            plain = select(Contact.id).where(Contact.is_friend.is_(True), sa.or_(
                sa.func.lower(Contact.nick_name).like(pattern, escape="\\"),
                sa.func.lower(Contact.remark_name).like(pattern, escape="\\"))).order_by(Contact.nick_name, Contact.id)
            matching = db.session.execute(plain).scalars().all()
            assert [c["id"] for c in response.json["items"]] == matching[:3], needle
            assert response.json["total"] == len(matching), needle
        db.session.remove()
        downgrade(revision="0002")
        assert_search_indexes(db.engine.dialect.name, present=False)
        upgrade()
        assert_search_indexes(db.engine.dialect.name, present=True)
        db.session.remove()
        db.engine.dispose()


def assert_search_indexes(dialect: str, present: bool) -> None:
    inspector = inspect(db.engine)
    names = {index["name"] for table in ("contacts", "messages") for index in inspector.get_indexes(table)}
    assert ("ix_contacts_account_names" in names) is present and ("ix_contacts_account_nick" in names) is not present
    if dialect == "postgresql":
        assert set(TRIGRAM_INDEXES) & names == (set(TRIGRAM_INDEXES) if present else set())


def seed_search_data() -> str:
    account = Account(puid="self", nick_name="bot", last_login_at=datetime.now(UTC))
    db.session.add(account)
    db.session.flush()
    db.session.add_all([Message(account_id=account.id, msg_id=str(n), type="text", chat_kind="friend", text=text,
                                created_at=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=n))
                        for n, text in enumerate(SEARCH_TEXTS)])
    db.session.add_all([Contact(account_id=account.id, puid=f"c{n}", nick_name=text, remark_name=remark,
                                is_friend=True) for n, (text, remark) in
                        enumerate(zip(SEARCH_TEXTS * 2, ["", "Hello", "", "红包"] * 6, strict=True))])
    admin = AdminUser(username="root")
    admin.set_password("not used here")
    token, clear = ApiToken.issue(admin, "tests")
    db.session.add_all([admin, token])
    db.session.commit()
    return clear


def migration_head() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()


def test_pg_trgm_refused_leaves_searches_working(tmp_path, redis_server):  # noqa: F811
    """A role that may not CREATE EXTENSION still migrates: the trigram indexes are skipped with a warning."""
    with throwaway_database("postgresql") as url:
        role = f"wxa_limited_{uuid.uuid4().hex[:8]}"
        owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with owner.connect() as connection:
            connection.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(sa.text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
        try:
            limited = sa.engine.make_url(url).set(username=role)
            app = create_app({"SQLALCHEMY_DATABASE_URI": limited.render_as_string(hide_password=False),
                              "SECRET_KEY": "x", "REDIS_URL": redis_server.url}, instance_path=str(tmp_path))
            with app.app_context():
                upgrade()
                names = {index["name"] for index in inspect(db.engine).get_indexes("messages")}
                assert "ix_messages_text_trgm" not in names
                version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                assert version == migration_head()
                token = seed_search_data()
                response = app.test_client().get("/api/messages?q=hello",
                                                 headers={"Authorization": f"Bearer {token}"})
                assert [m["text"] for m in response.json["items"]] == ["hello world"]
                db.session.remove()
                db.engine.dispose()
        finally:
            with owner.connect() as connection:  # the role owns objects in the database: drop those first
                connection.execute(sa.text(f"DROP OWNED BY {role}"))
                connection.execute(sa.text(f"DROP ROLE {role}"))
            owner.dispose()
