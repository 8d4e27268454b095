"""Opaque keyset cursors for paging a time-ordered list: (created_at, id) in, a short URL-safe token out.

Keyset paging ("before this row") never skips or repeats a row when rows arrive while someone scrolls, which page
numbers (OFFSET) do, and costs one index seek however deep the page. The token is opaque to clients so its shape
may change; anything that does not decode to exactly what `encode` makes is refused (a 400, never a 500).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHAPE = re.compile(r"^(\d{1,16}):(\d{1,19})$")  # microseconds since 1970 : row id
MAX_TOKEN = 64
MAX_ID = 2**63 - 1


class BadCursor(ValueError):
    """The token was not made by `encode` (garbage, truncated, or out of range)."""


def encode(created_at: datetime, row_id: int) -> str:
    micros = (created_at.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}:{row_id}".encode()).decode().rstrip("=")


def decode(token: str) -> tuple[datetime, int]:
    """The (created_at, id) a token stands for; BadCursor for anything else."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        raise BadCursor("cursor has the wrong length")
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise BadCursor("cursor is not one this API made") from None
    match = _SHAPE.match(text)
    if match is None:
        raise BadCursor("cursor is not one this API made")
    micros, row_id = int(match.group(1)), int(match.group(2))
    if row_id > MAX_ID:
        raise BadCursor("cursor is out of range")
    try:
        created_at = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise BadCursor("cursor is out of range") from None
    if created_at.year > 9999:
        raise BadCursor("cursor is out of range")
    return created_at, row_id
