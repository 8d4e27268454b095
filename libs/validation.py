"""Values checked against what the strictest supported database stores (MySQL/MariaDB, utf8mb4).

SQLite stores anything; PostgreSQL refuses NUL in text and lone surrogates; MySQL counts VARCHAR lengths in
characters, TEXT in bytes, INT is 32-bit, DATETIME spans the years 1000-9999 and JSON nests at most 100 deep. A value
that passes here is stored the same on every engine, so a deployment never learns of a limit from a 500.

`check_column(Model.column, value, field)` is the one entry point for a value headed for a column; `check_text`
for text with no column (display names, messages sent on); `to_utc` for a client's date-time. All raise
ValueInvalid(field, message), which the API answers as 400 {"error", "field", "details"} (views/errors.py). The
API's models take their limits from `column_limits` too (libs/column_types.py).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, SmallInteger, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.schema import Column
from sqlalchemy.types import TypeDecorator

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
SMALLINT = (-(2**15), 2**15 - 1)
# MySQL DATETIME spans 1000-9999 (PostgreSQL more, SQLite any); a day short of its end, so that showing a stored
# time in any zone (UTC+14 at most) cannot overflow Python's year 9999 either.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)
MAX_JSON_DEPTH = 32  # MySQL's JSON allows 100; nothing of ours nests deeper than 4
TEXT_BYTES = {"TEXT": 2**16 - 1, "MEDIUMTEXT": 2**24 - 1, "LONGTEXT": 2**32 - 1, "TINYTEXT": 2**8 - 1}

_SURROGATE = re.compile("[\ud800-\udfff]")
# Directional overrides and isolates reorder how a name is shown ("evil\u202egnp.exe" reads as "evilexe.png"):
# refused in names an admin chooses, which other admins and WeChat users read.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_MYSQL = mysql.dialect()


class ValueInvalid(ValueError):
    """A value the API must refuse; `field` names it for the 400 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def text_problem(value: str, display_name: bool = False) -> str | None:
    """Why a string cannot be stored (or shown as a name), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if _SURROGATE.search(value):
        return "must not contain lone UTF-16 surrogates"
    if display_name and _BIDI.search(value):
        return "must not contain bidirectional override or isolate characters (U+202A-202E, U+2066-2069)"
    return None


def check_text(value: Any, field: str, max_length: int | None = None, display_name: bool = False) -> str:
    """A string without NUL or lone surrogates, at most `max_length` characters; `display_name`: no bidi controls."""
    if not isinstance(value, str):
        raise ValueInvalid(field, "must be a string")
    if max_length is not None and len(value) > max_length:
        raise ValueInvalid(field, f"is too long (at most {max_length} characters)")
    problem = text_problem(value, display_name)
    if problem:
        raise ValueInvalid(field, problem)
    return value


def _column(column: Column | QueryableAttribute) -> Column:
    return column.property.columns[0] if isinstance(column, QueryableAttribute) else column


@cache
def _limits(column: Column) -> tuple[str, int | None]:
    """(kind, limit) of a column on MySQL: text (characters), text_bytes, int (bits), datetime, json, other."""
    impl = column.type.dialect_impl(_MYSQL)
    if isinstance(impl, TypeDecorator):  # UTCDateTime: judged by what it stores
        impl = impl.impl_instance
    name = type(impl).__name__.upper()
    if name in TEXT_BYTES:
        return "text_bytes", TEXT_BYTES[name]
    if isinstance(impl, Text) and not getattr(impl, "length", None):
        return "text_bytes", TEXT_BYTES["TEXT"]
    if isinstance(impl, String):
        return "text", impl.length
    if isinstance(impl, Boolean):
        return "other", None
    if isinstance(impl, BigInteger):
        return "int", 64
    if isinstance(impl, SmallInteger):
        return "int", 16
    if isinstance(impl, Integer):
        return "int", 32
    if isinstance(impl, DateTime):
        return "datetime", None
    if isinstance(impl, JSON):
        return "json", None
    return "other", None


def fit(column: Column | QueryableAttribute, value: str | None) -> str | None:
    """A text cut to what the column stores, NUL and lone surrogates replaced: for records that must never fail
    (the audit log quoting a hostile id or nickname), where refusing is not an option."""
    if value is None:
        return None
    value = _SURROGATE.sub("\ufffd", str(value).replace("\x00", "\ufffd"))
    limit = column_length(column)
    if limit is not None and len(value) > limit:
        value = value[:limit - 1] + "…"  # marked, so a reader knows the record was cut
    return value


def column_limits(column: Column | QueryableAttribute) -> tuple[str, int | None]:
    """(kind, limit) of a column as MySQL stores it: text (characters), text_bytes, int (bits), datetime, json,
    other."""
    return _limits(_column(column))


def column_length(column: Column | QueryableAttribute) -> int | None:
    """The character length of a VARCHAR column (None for other columns)."""
    kind, limit = _limits(_column(column))
    return limit if kind == "text" else None


def check_column(column: Column | QueryableAttribute, value: Any, field: str | None = None,
                 display_name: bool = False) -> Any:
    """Check a value against a model column as MySQL would store it; returns it unchanged."""
    col = _column(column)
    field = field or col.key
    if value is None:
        return value
    kind, limit = _limits(col)
    if kind == "text":
        check_text(value, field, limit, display_name)
    elif kind == "text_bytes":
        check_text(value, field, None, display_name)
        if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:  # encode only when it could matter
            raise ValueInvalid(field, f"is too long (at most {limit} bytes of UTF-8)")
    elif kind == "int":
        low, high = {64: INT64, 32: INT32, 16: SMALLINT}[limit]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueInvalid(field, f"must be a whole number from {low} to {high}")
    elif kind == "datetime":
        check_datetime(value, field)
    elif kind == "json":
        check_json_value(value, field)
    return value


def check_datetime(value: datetime, field: str) -> datetime:
    if value.tzinfo is not None:
        value = to_utc(value, field)
    elif not EARLIEST.replace(tzinfo=None) <= value <= LATEST.replace(tzinfo=None):
        raise ValueInvalid(field, _range_message())
    return value


def _range_message() -> str:
    return f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"


def to_utc(value: datetime, field: str, zone: Any = None) -> datetime:
    """An aware UTC datetime in the storable range; a naive `value` is read in `zone`. Converting a date at the
    calendar's edge to UTC overflows (0001-01-01 in UTC+8, 9999-12-31T23:59-12:00): that is a 400, not a 500."""
    if value.tzinfo is None:
        if zone is None:
            raise ValueInvalid(field, "needs a time zone offset")
        value = value.replace(tzinfo=zone)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueInvalid(field, _range_message()) from None
    if not EARLIEST <= utc <= LATEST:
        raise ValueInvalid(field, _range_message())
    return utc


def check_json_value(value: Any, field: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON-able value every engine stores: no NUL or lone surrogates in strings (keys too), integers in 64 bits,
    finite floats, bounded nesting. Iterative, so a deep value cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > max_depth:
            raise ValueInvalid(path, f"is nested too deeply (at most {max_depth} levels)")
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise ValueInvalid(path, problem)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64[0] <= item <= INT64[1]:
                raise ValueInvalid(path, "is an integer beyond 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueInvalid(path, "must be a finite number")
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise ValueInvalid(path, "has a key that is not a string")
                problem = text_problem(key)
                if problem:
                    raise ValueInvalid(path, f"key {key[:40]!r}: {problem}")
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            raise ValueInvalid(path, f"cannot be stored as JSON ({type(item).__name__})")
    return value
