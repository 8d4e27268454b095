"""SQLite settings for several processes sharing one database file (web, workers, beat).

WAL lets readers and one writer work at once instead of failing with "database is locked"; synchronous=NORMAL is
durable across application crashes (only an OS crash may lose the last commits) and makes each commit cheap
(the archive commits once per batch of incoming messages, the sync once per kind);
busy_timeout waits for a writer instead of failing at once.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def _on_connect(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        _installed = True
