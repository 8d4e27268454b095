"""SQLite settings for several processes sharing one database file (web, workers, beat).

WAL lets readers and one writer work at once instead of failing with "database is locked"; synchronous=NORMAL is
durable across application crashes (only an OS crash may lose the last commits) and makes each commit cheap
(the archive commits once per batch of incoming messages, the sync once per kind);
busy_timeout waits for a writer instead of failing at once.

Under gevent (the Celery worker's pool, gunicorn's web workers) SQLite's own busy wait is a sleep in C that blocks
the whole process: the greenlet holding the write lock cannot run to commit, so two greenlets of one process that
want to write stalled everything for the full timeout (15 s; the listener's lease expired meanwhile). There the
connection waits only GEVENT_BUSY_MS in C, and a statement that still finds the database locked is tried again
after a cooperative sleep, until BUSY_SECONDS have passed.
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

from libs.gevent_patched import gevent_patched

BUSY_SECONDS = 15.0
GEVENT_BUSY_MS = 20
_installed = False


def _on_connect(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        busy_ms = GEVENT_BUSY_MS if gevent_patched("time") else int(BUSY_SECONDS * 1000)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "database is locked" in str(exc)


def _cooperatively(run) -> bool:
    """Run a statement; while SQLite says the database is locked, yield to the other greenlets and try again."""
    deadline = time.monotonic() + BUSY_SECONDS
    pause = 0.005
    while True:
        try:
            run()
            return True
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)  # gevent's patched sleep: the lock holder runs meanwhile
        pause = min(pause * 2, 0.1)


def _cooperative(cursor, run) -> bool | None:
    """A dialect hook's answer: handled (True) on SQLite under gevent, else None (SQLAlchemy runs it as usual)."""
    if not isinstance(cursor, sqlite3.Cursor) or not gevent_patched("time"):
        return None
    return _cooperatively(run)


def _do_execute(cursor, statement, parameters, context) -> bool | None:
    return _cooperative(cursor, lambda: cursor.execute(statement, parameters))


def _do_executemany(cursor, statement, parameters, context) -> bool | None:
    return _cooperative(cursor, lambda: cursor.executemany(statement, parameters))


def _do_execute_no_params(cursor, statement, context) -> bool | None:
    return _cooperative(cursor, lambda: cursor.execute(statement))


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        # Dialect events on the Engine class: every engine's dialect; the handlers pass on anything not SQLite.
        event.listen(Engine, "do_execute", _do_execute)
        event.listen(Engine, "do_executemany", _do_executemany)
        event.listen(Engine, "do_execute_no_params", _do_execute_no_params)
        _installed = True
