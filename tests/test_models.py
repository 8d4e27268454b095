from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, StatementError

from extensions import db
from libs.search import include_in_autogenerate
from models import Account, Contact, Group, Membership, Message, SendJob, SendJobItem

EMOJI_NAME = "小明😀🇨🇳<b>&amp;</b>\u200d👩‍👩‍👧"


def make_account() -> Account:
    account = Account(puid="self0001", nick_name="机器人🤖")
    db.session.add(account)
    db.session.commit()
    return account


def test_migrations_create_exactly_the_models_schema(app):
    """Upgrade from empty (the template DB) leaves nothing for autogenerate to add: migrations match models."""
    with db.engine.connect() as connection:
        # The search indexes of migration 0003 live outside the models (FTS5 table, pg_trgm indexes).
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": include_in_autogenerate})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"accounts", "contacts", "groups", "memberships", "messages", "automation_settings", "admin_users",
            "api_tokens", "audit_log", "send_jobs", "send_job_items", "alembic_version"} <= tables


def test_emoji_round_trip(app):
    account = make_account()
    db.session.add(Contact(account_id=account.id, puid="p1", nick_name=EMOJI_NAME, signature="🎉" * 500))
    db.session.commit()
    db.session.expire_all()
    contact = db.session.execute(db.select(Contact).where(Contact.puid == "p1")).scalar_one()
    assert contact.nick_name == EMOJI_NAME
    assert contact.signature == "🎉" * 500


def test_message_is_unique_per_account_and_msg_id(app):
    account = make_account()
    now = datetime.now(UTC)
    db.session.add(Message(account_id=account.id, msg_id="123", type="text", chat_kind="friend", created_at=now))
    db.session.commit()
    db.session.add(Message(account_id=account.id, msg_id="123", type="text", chat_kind="friend", created_at=now))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_times_are_stored_utc_and_come_back_aware(app):
    account = make_account()
    beijing = timezone(timedelta(hours=8))
    sent = datetime(2026, 1, 1, 8, 0, tzinfo=beijing)
    db.session.add(Message(account_id=account.id, msg_id="1", type="text", chat_kind="friend", created_at=sent))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(db.select(Message)).scalar_one().created_at
    assert stored == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_naive_datetimes_are_refused(app):
    account = make_account()
    db.session.add(Message(account_id=account.id, msg_id="1", type="text", chat_kind="friend",
                           created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_group_membership_cascade(app):
    account = make_account()
    group = Group(account_id=account.id, puid="g1", nick_name="Python✌1群", is_owner=True)
    member = Contact(account_id=account.id, puid="m1", nick_name="成员")
    group.memberships.append(Membership(contact=member, display_name="群昵称"))
    db.session.add(group)
    db.session.commit()
    db.session.delete(group)
    db.session.commit()
    assert db.session.execute(db.select(Membership)).first() is None
    assert db.session.execute(db.select(Contact)).scalar_one().puid == "m1"  # the person stays


def test_send_job_items_are_ordered_and_unique(app):
    job = SendJob(created_by="root", text="hi", total=2)
    job.items = [SendJobItem(position=1, recipient_puid="b"), SendJobItem(position=0, recipient_puid="a")]
    db.session.add(job)
    db.session.commit()
    db.session.expire_all()
    assert [item.recipient_puid for item in db.session.get(SendJob, job.id).items] == ["a", "b"]
    db.session.add(SendJobItem(job_id=job.id, position=0, recipient_puid="c"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
