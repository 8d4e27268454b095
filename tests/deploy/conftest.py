"""Throwaway databases on the PostgreSQL and MariaDB/MySQL servers on loopback (skipped, with the reason shown,
where a server is not reachable: `make test` runs scripts/ensure-databases.sh first to start them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

SERVERS = {
    "postgresql": "postgresql+psycopg2://postgres@127.0.0.1:5432/{name}",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
}
ADMIN_DB = {"postgresql": "postgres", "mysql": "mysql"}


@contextmanager
def throwaway_database(kind: str) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards (pytest.skip if the server is unreachable)."""
    name = f"wxa_deploy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVERS[kind].format(name=ADMIN_DB[kind]), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if kind == "mysql":
                connection.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
            else:
                connection.execute(sa.text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"{kind} server not reachable on loopback (scripts/ensure-databases.sh starts it): {exc.orig}")
    try:
        yield SERVERS[kind].format(name=name)
    finally:
        with admin.connect() as connection:
            if kind == "postgresql":  # processes that were SIGKILLed may leave sessions behind
                connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                           "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


@pytest.fixture(params=sorted(SERVERS))
def engine_url(request) -> Iterator[str]:
    with throwaway_database(request.param) as url:
        yield url
