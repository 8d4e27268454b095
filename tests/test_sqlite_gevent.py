"""Two greenlets of one gevent process writing to the SQLite database (the worker's pool, gunicorn's web workers):
the second waits cooperatively for the first to commit, instead of SQLite's busy wait (a sleep in C) blocking the
whole process until its timeout, which stalled a worker for 15 s and failed the write (libs/sqlite_tuning.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.fixtures.processes import ROOT

SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import sys, time, gevent
    import sqlalchemy as sa
    from libs import sqlite_tuning
    sqlite_tuning.install()
    engine = sa.create_engine(f"sqlite:///{sys.argv[1]}", poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")

    def holder():  # takes the write lock and keeps it while it yields (as a worker task does between statements)
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            gevent.sleep(0.5)

    def writer():
        gevent.sleep(0.05)
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")

    started = time.monotonic()
    gevent.joinall([gevent.spawn(holder), gevent.spawn(writer)], raise_error=True)
    with engine.connect() as connection:
        print(time.monotonic() - started, connection.exec_driver_sql("SELECT count(*) FROM t").scalar())
""")


def test_a_second_writer_in_the_same_gevent_process_waits_without_stalling_it(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "db.sqlite")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    seconds, rows = done.stdout.split()
    assert rows == "2"
    assert float(seconds) < 5, f"the process stalled {float(seconds):.1f}s (SQLite's busy wait blocked the hub)"
