"""psycopg2 under gevent (the Celery worker's pool, gunicorn's web workers): queries that let other greenlets run.

psycopg2 is a C extension: gevent's monkey-patching cannot reach its sockets, so every query blocked the whole
process for its round trip. A worker holding 17 accounts stopped all of them while one stored a batch, and a
slow dashboard query stalled every SSE stream of its gunicorn worker. psycopg2's documented hook for coroutine
libraries (`psycopg2.extensions.set_wait_callback`, the recipe the `psycogreen` package ships) makes libpq hand its
waits to a callback; ours waits on gevent's hub. It is installed only in a monkey-patched process: elsewhere libpq's
own blocking wait is right. A callback interrupted (a `gevent.Timeout`, a kill) makes psycopg2 cancel the query
and close that connection, which SQLAlchemy's pool then replaces. COPY and large objects, which psycopg2 cannot run
with a wait callback, are not used by this project.
"""

from __future__ import annotations

from typing import Any

from libs.gevent_patched import gevent_patched

_installed = False


def wait(connection: Any, timeout: float | None = None) -> None:
    """Poll `connection` until libpq is done, parking this greenlet on gevent's hub while the socket is not ready."""
    from gevent.socket import wait_read, wait_write
    from psycopg2 import OperationalError, extensions

    while True:
        state = connection.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            wait_read(connection.fileno(), timeout=timeout)
        elif state == extensions.POLL_WRITE:
            wait_write(connection.fileno(), timeout=timeout)
        else:
            raise OperationalError(f"unexpected state from psycopg2's poll(): {state!r}")


def install() -> bool:
    """Make psycopg2 cooperative when this process is monkey-patched by gevent (once); whether it is now."""
    global _installed
    if _installed:
        return True
    if not gevent_patched("socket"):
        return False
    try:
        from psycopg2 import extensions
    except ImportError:  # PostgreSQL is optional: SQLite and MySQL (PyMySQL is pure Python) need nothing
        return False
    extensions.set_wait_callback(wait)
    _installed = True
    return True
