"""psycopg2 in a gevent process (the Celery worker's pool, gunicorn's web workers): a query's round trip lets the
process's other greenlets run (libs/green_postgres.py). Without the wait callback one `pg_sleep` froze them all."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from tests.fixtures.databases import ADMIN_DB, SERVERS
from tests.fixtures.processes import ROOT

URL = SERVERS["postgresql"].format(name=ADMIN_DB["postgresql"])

# One greenlet sleeps 0.6 s in PostgreSQL (twice: through the app's SQLAlchemy engine, then a connection killed by
# a gevent.Timeout mid-query is replaced); another ticks every 10 ms meanwhile. Prints the ticks and the results.
SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import sys, gevent
    import sqlalchemy as sa
    from psycopg2 import extensions
    from app import create_app
    from libs import green_postgres

    create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "test"}, instance_path=sys.argv[2])
    assert extensions.get_wait_callback() is green_postgres.wait, "create_app did not install the callback"
    engine = sa.create_engine(sys.argv[1], pool_size=1, max_overflow=0, pool_pre_ping=True)
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.01)

    def sleeper():
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT pg_sleep(0.6), 42").all()[0][1]

    def interrupted():
        try:
            with gevent.Timeout(0.2):
                sleeper()
        except gevent.Timeout:
            return "timeout"

    tick = gevent.spawn(ticker)
    first = gevent.spawn(sleeper).get()
    during = len(ticks)
    cut = gevent.spawn(interrupted).get()
    again = sleeper()  # the pool's one connection was broken by the kill; the next checkout works
    tick.kill()
    print(during, first, cut, again)
""")


def _postgres_reachable() -> bool:
    engine = sa.create_engine(URL)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def test_a_postgresql_query_lets_the_other_greenlets_run(tmp_path):
    if not _postgres_reachable():
        pytest.skip("PostgreSQL not reachable on loopback (scripts/ensure-databases.sh starts it)")
    done = subprocess.run([sys.executable, "-c", SCRIPT, URL, str(tmp_path / "instance")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    during, first, cut, again = done.stdout.split()[-4:]
    assert (first, cut, again) == ("42", "timeout", "42"), done.stdout
    # 0.6 s of pg_sleep at one tick per 10 ms: ~60 when the hub ran meanwhile, 1 or 2 when libpq blocked it.
    assert int(during) >= 20, f"{during} ticks during a 0.6 s query: the query blocked the gevent hub"


def test_a_process_without_gevent_keeps_libpq_blocking_wait():
    script = ("from libs import green_postgres; from psycopg2 import extensions;"
              "print(green_postgres.install(), extensions.get_wait_callback())")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "None"]
