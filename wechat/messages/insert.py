"""Inserting a batch of archive rows in one statement, skipping MsgIds already stored, on every engine we support.

The INSERT goes through the `messages` table itself (a Core insert, not the ORM), so triggers on it (full-text
search) fire for each new row. A duplicate (account_id, msg_id) is skipped by the database, not raised: a
re-delivered message that slipped past the archive's existence check is still stored exactly once.

SQLAlchemy 2.0 compiles its SQLite and PostgreSQL `INSERT … ON CONFLICT` afresh for every execution: those dialect
constructs opt out of the compiled cache (sqlalchemy/sqlalchemy#10445, changed in 2.1). The archive runs this
statement for every batch of every account, so it is built here from subclasses that give the conflict clause a
cache key (its target columns): compiled once per process, like a plain INSERT.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.sql.visitors import InternalTraversal

from extensions import db
from models.message import Message

UNIQUE_KEY = ("account_id", "msg_id")


@cache
def _cacheable_constructs(dialect: str) -> tuple[type, type]:
    """The dialect's Insert and OnConflictDoNothing, as subclasses the compiled cache accepts."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import dml
    else:
        from sqlalchemy.dialects.postgresql import dml

    class CachedInsert(dml.Insert):
        inherit_cache = True  # Insert's cache key, which covers the ON CONFLICT clause (`_post_values_clause`)

    class CachedOnConflictDoNothing(dml.OnConflictDoNothing):
        # Built with index_elements only (no named constraint), so these two attributes are the whole clause.
        _traverse_internals = [("inferred_target_elements", InternalTraversal.dp_clauseelement_list),
                               ("inferred_target_whereclause", InternalTraversal.dp_clauseelement)]

    return CachedInsert, CachedOnConflictDoNothing


def _insert_skipping_duplicates(dialect: str) -> Insert:
    table = Message.__table__
    if dialect in ("sqlite", "postgresql"):
        insert_class, on_conflict_class = _cacheable_constructs(dialect)
        statement = insert_class(table)
        # What the dialect's `on_conflict_do_nothing()` sets, with the cacheable clause.
        statement._post_values_clause = on_conflict_class(index_elements=[table.c[name] for name in UNIQUE_KEY])
        return statement
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert

        # A no-op update instead of INSERT IGNORE, which would also turn other errors into warnings.
        return insert(table).on_duplicate_key_update(id=table.c.id)
    return table.insert()  # another engine: the existence check before the insert is all there is


def _stored(account_id: int, msg_ids: list[str]) -> dict[str, int]:
    table = Message.__table__
    query = select(table.c.msg_id, table.c.id).where(table.c.account_id == account_id, table.c.msg_id.in_(msg_ids))
    return {msg_id: row_id for msg_id, row_id in db.session.execute(query)}


def insert_new(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows (all of one account) in the current transaction; returns {msg_id: id} of the new ones.

    The caller commits. SQLite (≥ 3.35) and PostgreSQL return the ids with the INSERT, and nothing for a skipped
    duplicate. MySQL/MariaDB report a duplicate's row as well (or have no RETURNING), so there the MsgIds already
    stored are read first and left out.
    """
    if not rows:
        return {}
    table = Message.__table__
    dialect = db.session.get_bind().dialect
    statement = _insert_skipping_duplicates(dialect.name)
    account_id, msg_ids = rows[0]["account_id"], [row["msg_id"] for row in rows]
    if dialect.name in ("sqlite", "postgresql") and dialect.insert_executemany_returning:
        result = db.session.execute(statement.returning(table.c.id, table.c.msg_id), rows)
        return {msg_id: row_id for row_id, msg_id in result}
    before = _stored(account_id, msg_ids)
    db.session.execute(statement, rows)
    return {msg_id: row_id for msg_id, row_id in _stored(account_id, msg_ids).items() if msg_id not in before}
