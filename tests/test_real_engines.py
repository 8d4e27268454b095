"""Migrations and Unicode on the real engines the machine runs (PostgreSQL, MariaDB/MySQL).

Each test creates its own database and drops it afterwards. Where a server is not reachable the test is skipped
with the reason shown in the summary (pytest -ra), never silently.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import upgrade

from app import create_app
from extensions import db
from models import Account, Contact, Message
from tests.fixtures.databases import engine_url  # noqa: F401  (fixture)

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
