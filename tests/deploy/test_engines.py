"""The schema and the model rules the archive and sync rely on, on real PostgreSQL and MariaDB servers.

(tests/test_real_engines.py covers migrations + long Unicode text; these add what a production upgrade and the
idempotent archive need.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from extensions import db
from models import Account, Contact, Group, Membership, Message

EMOJI_NICK = "🐍👨‍👩‍👧 群主😀"


@pytest.fixture
def app(engine_url, tmp_path):
    application = create_app({"SQLALCHEMY_DATABASE_URI": engine_url, "SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def message(account_id: int, msg_id: str, text: str = "hi") -> Message:
    return Message(account_id=account_id, msg_id=msg_id, type="text", chat_kind="friend", text=text,
                   created_at=datetime(2026, 5, 1, 12, tzinfo=UTC))


def test_downgrade_to_base_and_upgrade_again(app, engine_url):
    """The migrate service runs every upgrade; each must also go back, on the real engine."""
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"accounts", "contacts", "groups", "memberships", "messages", "alembic_version"} <= tables
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert set(sa.inspect(db.engine).get_table_names()) == tables


def test_one_message_per_account_and_msgid_across_sessions(app):
    """Two workers storing the same WeChat MsgId: the database keeps one (what idempotent archiving rests on)."""
    account = Account(puid="self", nick_name=EMOJI_NICK)
    db.session.add(account)
    db.session.commit()
    db.session.add(message(account.id, "123456789012345678", "first"))
    db.session.commit()
    with db.engine.connect() as other:
        with pytest.raises(sa.exc.IntegrityError):
            other.execute(sa.insert(Message), [{"account_id": account.id, "msg_id": "123456789012345678",
                                                "type": "text", "chat_kind": "friend", "text": "again",
                                                "created_at": datetime(2026, 5, 1, tzinfo=UTC),
                                                "received_at": datetime(2026, 5, 1, tzinfo=UTC)}])
            other.commit()
    second = Account(puid="other", nick_name="x")
    db.session.add(second)
    db.session.flush()
    db.session.add(message(second.id, "123456789012345678"))  # the same MsgId under another account is fine
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 2


def test_four_byte_names_in_indexed_columns_and_unique_memberships(app):
    account = Account(puid="self", nick_name=EMOJI_NICK)
    db.session.add(account)
    db.session.flush()
    contact = Contact(account_id=account.id, puid="c1", nick_name=EMOJI_NICK)
    group = Group(account_id=account.id, puid="g1", nick_name="🎉" * 30)
    db.session.add_all([contact, group])
    db.session.flush()
    db.session.add(Membership(group_id=group.id, contact_id=contact.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Contact.nick_name).where(Contact.nick_name == EMOJI_NICK)) == EMOJI_NICK
    assert db.session.scalar(sa.select(Group.nick_name)) == "🎉" * 30
    db.session.add(Membership(group_id=group.id, contact_id=contact.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Contact(account_id=account.id, puid="c1", nick_name="dup"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_times_come_back_in_utc(app):
    account = Account(puid="self", nick_name="x")
    db.session.add(account)
    db.session.flush()
    db.session.add(message(account.id, "1"))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Message.created_at))
    assert stored == datetime(2026, 5, 1, 12, tzinfo=UTC) and stored.utcoffset().total_seconds() == 0
