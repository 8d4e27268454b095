"""The last check before the database, for web requests: a flush that would store a value the strictest engine
refuses (libs/validation.check_column: MySQL lengths, NUL, lone surrogates, 32/64-bit integers, DATETIME range)
raises ValueInvalid, which the API answers as 400 {"error", "field": "<table>.<column>"}.

The views check what they store with clear field names first; this guard is for what they miss, so that a value
SQLite would have taken silently is refused the same way on every engine instead of becoming a 500 on
PostgreSQL/MySQL. Outside a request (the worker storing what WeChat sends) it does nothing: that data is cleaned
where it is received, and refusing it there would lose messages.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from libs.validation import check_column


def check_pending(session: Session, flush_context: Any = None, instances: Any = None) -> None:
    if not has_request_context():
        return
    for obj in [*session.new, *session.dirty]:
        state = inspect(obj)
        is_new = obj in session.new
        for attr in state.mapper.column_attrs:
            if is_new:
                if attr.key not in state.dict:  # not set: the column default applies
                    continue
                value = state.dict[attr.key]
            else:
                added = state.attrs[attr.key].history.added
                if not added:
                    continue
                value = added[0]
            for column in attr.columns:
                if column.table is not None and hasattr(column.table, "name"):
                    check_column(column, value, f"{column.table.name}.{column.key}")


def install() -> None:
    """Once per process, for every session (Flask-SQLAlchemy's included)."""
    if not event.contains(Session, "before_flush", check_pending):
        event.listen(Session, "before_flush", check_pending)
