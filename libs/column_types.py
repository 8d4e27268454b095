"""Field types for API models, built from the database columns they are stored in (one source for the limits).

`ColumnText(Model.column)` is a `str` whose length limit is the column's as MySQL stores it (libs/validation.py
reads it) and which passes `check_column` (no NUL, no lone surrogates, bytes for TEXT); `ColumnInt` takes the
column's integer range. `Text(n)` is the same for text with no column (a message sent on, a verification note).
The OpenAPI document's JSON Schema is generated from these types, so it states the same numbers.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, StrictStr
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.schema import Column

from libs.validation import INT32, INT64, SMALLINT, check_column, check_text, column_limits

_INT_RANGES = {64: INT64, 32: INT32, 16: SMALLINT}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _annotated(base: Any, *metadata: Any) -> Any:
    return Annotated[(base, *metadata)]  # type: ignore[valid-type]


def _text_type(max_length: int | None, check, min_length: int | None, strip: bool, field: dict[str, Any]) -> Any:
    parts: list[Any] = [BeforeValidator(_strip)] if strip else []
    return _annotated(StrictStr, *parts, Field(max_length=max_length, min_length=min_length, **field),
                      AfterValidator(check))


def Text(max_length: int | None = None, *, min_length: int | None = None, strip: bool = False,  # noqa: N802
         display_name: bool = False, **field: Any) -> Any:
    """A storable string (no NUL or lone surrogates; `display_name`: no bidi controls) of at most `max_length`."""
    return _text_type(max_length, lambda value: check_text(value, "", None, display_name), min_length, strip, field)


def ColumnText(column: Column | QueryableAttribute, *, max_length: int | None = None,  # noqa: N802
               min_length: int | None = None, strip: bool = False, display_name: bool = False, **field: Any) -> Any:
    """A string for `column`: its VARCHAR length in characters (TEXT: checked in bytes by check_column), or the
    tighter `max_length`."""
    kind, limit = column_limits(column)
    if kind == "text":
        max_length = limit if max_length is None else min(limit, max_length)
    return _text_type(max_length, lambda value: check_column(column, value, "", display_name=display_name),
                      min_length, strip, field)


def ColumnInt(column: Column | QueryableAttribute, *, ge: int | None = None, le: int | None = None,  # noqa: N802
              **field: Any) -> Any:
    """A whole number (not a bool) in the column's range, narrowed by `ge`/`le`."""
    kind, bits = column_limits(column)
    if kind != "int":
        raise TypeError(f"{column} is not an integer column")
    low, high = _INT_RANGES[bits]
    return _annotated(StrictInt, Field(ge=low if ge is None else max(low, ge), le=high if le is None else min(high, le),
                                       **field))
