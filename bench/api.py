"""Benchmark 4: the list/search APIs at scale: 100,000 contacts and 1,000,000 messages, bulk-generated.

Requests go through the Flask app (routing, token auth, query, JSON) with the test client; each query kind is
repeated and its p95 reported, together with the engine's plan for the statements it ran. SQLite always;
PostgreSQL too when it answers on 127.0.0.1:5432 (user postgres, trust auth; a throwaway database is created and
dropped). Baseline in the same run: the same requests on a tenth of the data (10,000 contacts, 100,000 messages):
a request whose time grows ~10x with the data scans it; one that stays flat is served by an index. Past migration
0002 each scale is also measured without the search indexes of migration 0003 (`baseline_0002`: the head schema and
code with only 0003's own downgrade applied, because the code needs the columns later migrations add) and with them
again. Totals are capped (10,000; 1,000 for a contacts name search) and then marked
`total_capped`: "rows matched" is a lower bound there.

    .venv/bin/python -m bench.api [--contacts 100000 --messages 1000000 --repeat 30] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench.common import ROOT, Timer, issue_token, loadavg, migrated_app, quiet_logs, ratio, stats_ms, write_result

TARGETS = {"contacts_search_p95_ms": 50.0, "messages_list_p95_ms": 200.0}
CONTACT_QUERIES = {
    "q=王": "/api/contacts?q=王", "q=alice": "/api/contacts?q=alice", "q=🐍": "/api/contacts?q=🐍",
    "q=张伟 page 2": "/api/contacts?q=张伟&page=2", "q=coder12 (rare)": "/api/contacts?q=coder12",
    "q=zzz (no match)": "/api/contacts?q=zzz", "no q, page 100": "/api/contacts?page=100",
}
MESSAGE_QUERIES = {
    "newest": "/api/messages", "type=picture": "/api/messages?type=picture",
    "chat": "/api/messages?chat=g00042", "sender": "/api/messages?sender=c0001234",
    "chat+type": "/api/messages?chat=g00007&type=text",
    "chat+since+until": "/api/messages?chat=g00100&since=2026-03-01&until=2026-04-01",
    "since+until": "/api/messages?since=2026-06-01T00:00:00Z&until=2026-06-02T00:00:00Z",
    "q=Python": "/api/messages?q=Python", "q=#123456 (rare)": "/api/messages?q=%23123456",
    "chat+q=红包": "/api/messages?chat=g00042&q=红包", "type+q=deploy": "/api/messages?type=sharing&q=deploy",
    "q=nomatch": "/api/messages?q=nomatch",
}


def postgres_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


class StatementLog:
    """The SQL statements the app sends, so their plans can be shown."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.statements: list[tuple[str, object]] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if re.search(r"FROM\s+(messages|messages_fts|contacts)\b", statement):  # the FTS probe too
            self.statements.append((statement, parameters))

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)


def explain(connection, dialect: str, statement: str, parameters) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    cursor = connection.cursor()
    cursor.execute(prefix + statement, parameters)
    rows = cursor.fetchall()
    cursor.close()
    if dialect == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def measure(app, token: str, queries: dict[str, str], repeat: int, plans: bool) -> dict:
    from extensions import db

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    figures = {}
    for name, path in queries.items():
        path = quote(path, safe="/?=&%:")
        response = client.get(path, headers=headers)  # warm: caches, statement compilation
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        latencies = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path, headers=headers)
            latencies.append(time.perf_counter() - started)
        entry = {"path": path, "total": response.json["total"],
                 "total_capped": response.json.get("total_capped", False), **stats_ms(latencies)}
        if plans:
            with app.app_context():
                log = StatementLog(db.engine)
                try:
                    client.get(path, headers=headers)
                finally:
                    log.close()
                raw = db.engine.raw_connection()
                try:
                    entry["plans"] = [explain(raw, db.engine.dialect.name, s, p) for s, p in log.statements]
                finally:
                    raw.close()
        figures[name] = entry
    return figures


def overall_p95(figures: dict) -> float:
    return max(entry["p95_ms"] for entry in figures.values())


def run_engine(engine: str, url: str, folder: Path, redis_url: str, args) -> dict:
    """The full data set and, as the baseline, a tenth of it (in a separate database)."""
    small = argparse.Namespace(**{**vars(args), "contacts": args.contacts // 10, "messages": args.messages // 10})
    tenth = run_scale(engine, url.replace("{db}", "small"), folder, redis_url, small)
    full = run_scale(engine, url.replace("{db}", "full"), folder, redis_url, args)
    full["tenth_of_the_data"] = tenth
    for kind in ("contacts", "messages"):
        for name, entry in full["head"][kind].items():
            entry["growth_vs_tenth"] = ratio(entry["p95_ms"], tenth["head"][kind][name]["p95_ms"])
    return full


def run_search_index_migration(step: str) -> None:
    """Run only migration 0003's `upgrade` or `downgrade` (its search indexes) on the app's database, with SQLite's
    foreign keys off as migrations/env.py runs them (a batch rebuild must not cascade)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from extensions import db

    path = ROOT / "migrations" / "versions" / "0003_search_indexes.py"
    spec = importlib.util.spec_from_file_location("search_indexes_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # the PRAGMA's implicit transaction: foreign_keys changes only outside one
        with connection.begin(), Operations.context(MigrationContext.configure(connection)):
            getattr(module, step)()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def run_scale(engine: str, url: str, folder: Path, redis_url: str, args) -> dict:
    from bench.data import generate
    from extensions import db

    app = migrated_app(url, folder / f"instance-{engine}-{args.contacts}", redis_url)
    timer = Timer()
    with app.app_context():
        generate(args.contacts, args.messages)
        db.session.remove()
    load_seconds = timer.seconds()
    token = issue_token(app)
    result: dict = {"generate_seconds": load_seconds}
    with app.app_context():
        head = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.remove()
    variants = [("head", None)]
    if head != "0002":
        variants = [("baseline_0002", "downgrade"), ("head", "upgrade")]
    for label, step in variants:
        with app.app_context():
            timer = Timer()
            if step is not None:
                run_search_index_migration(step)
            migrate_seconds = timer.seconds()
            db.session.remove()
            db.engine.dispose()
        revision = "0002" if step == "downgrade" else None
        load = loadavg()
        contacts = measure(app, token, CONTACT_QUERIES, args.repeat, plans=True)
        messages = measure(app, token, MESSAGE_QUERIES, args.repeat, plans=True)
        result[label] = {"revision": revision or head, "migrate_seconds": migrate_seconds, "loadavg": load,
                         "contacts": contacts, "messages": messages,
                         "contacts_search_p95_ms": overall_p95(contacts),
                         "messages_list_p95_ms": overall_p95(messages)}
        print(engine, label, "contacts p95", overall_p95(contacts), "messages p95", overall_p95(messages),
              flush=True)
    if "baseline_0002" in result:
        for kind in ("contacts_search_p95_ms", "messages_list_p95_ms"):
            result[f"{kind}_speedup"] = ratio(result["baseline_0002"][kind], result["head"][kind])
    with app.app_context():
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    quiet_logs()

    from tests.fixtures.processes import RedisServer

    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    redis_server = RedisServer(folder / "redis").start()
    engines: dict = {}
    try:
        wanted = args.engines.split(",")
        if "sqlite" in wanted:
            engines["sqlite"] = run_engine("sqlite", f"sqlite:///{folder}/api-{{db}}.db", folder, redis_server.url,
                                           args)
        if "postgresql" in wanted:
            if postgres_up():
                engines["postgresql"] = with_postgres(folder, redis_server.url, args)
            else:
                engines["postgresql"] = {"skipped": "no PostgreSQL on 127.0.0.1:5432"}
    finally:
        redis_server.stop()
        shutil.rmtree(folder, ignore_errors=True)  # ~0.6 GB of generated databases per run
    summary = {}
    for engine, figures in engines.items():
        if "head" in figures:
            summary[engine] = {"contacts_search_p95_ms": figures["head"]["contacts_search_p95_ms"],
                               "messages_list_p95_ms": figures["head"]["messages_list_p95_ms"],
                               "baseline_contacts_p95_ms": figures.get("baseline_0002", {}).get(
                                   "contacts_search_p95_ms"),
                               "baseline_messages_p95_ms": figures.get("baseline_0002", {}).get(
                                   "messages_list_p95_ms")}
    print(write_result("api", {"parameters": vars(args), "targets": TARGETS, "engines": engines,
                               "summary": summary}))


def with_postgres(folder: Path, redis_url: str, args) -> dict:
    import psycopg2

    name = f"wechat_bench_{int(time.time())}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        for scale in ("small", "full"):
            cursor.execute(f'CREATE DATABASE "{name}_{scale}" ENCODING \'UTF8\' TEMPLATE template0')
    try:
        return run_engine("postgresql", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}_{{db}}", folder,
                          redis_url, args)
    finally:
        with admin.cursor() as cursor:
            for scale in ("small", "full"):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}_{scale}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
