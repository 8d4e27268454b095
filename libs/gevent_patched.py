"""Whether gevent has monkey-patched this process (the Celery worker's pool, gunicorn's gevent workers): the database
tunings that must cooperate with gevent's hub ask here (libs/sqlite_tuning.py, libs/green_postgres.py)."""

from __future__ import annotations

import sys


def gevent_patched(module: str) -> bool:
    """Whether gevent has patched the standard library's `module` ("time", "socket"...) in this process."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched(module))
