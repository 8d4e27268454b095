"""The many-accounts benchmark's fleet (bench/accounts.py): one sandbox hosting every account, a Redis server of its
own, a freshly migrated database (a throwaway PostgreSQL database, or SQLite) and Celery workers as real processes.

Every account is a padpro gateway of its own under the sandbox's `/a/<name>/` (the root serves the default slot).
What the benchmark reads back comes from where the product keeps it: login state and lease holders from Redis
(wechat/bot/state.py, wechat/workers/placer.py), contacts and messages from the database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import migrated_app

GATEWAY_KEY = "sandbox-gateway-key"  # pre-issued by the sandbox's gateway face
POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def postgres_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


Sample = dict[str, dict[int, tuple[float, dict[int, float]]]]  # name -> pid -> (CPU seconds, thread -> wait)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_seconds(pid: int) -> dict[int, float]:
    """Per thread of the process, seconds spent runnable but waiting for a core (the scheduler's schedstat): on a
    shared machine this tells "starved of CPU by others" from "idle, waiting for work". Per thread, because a thread
    that ends takes its figure with it: a phase counts only the threads it saw end (cpu_share)."""
    waits = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            waits[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return waits


class Database:
    """A throwaway PostgreSQL database (dropped by close) or an SQLite file in the run's folder."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.name = f"wechat_bench_accounts_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
        if kind == "postgresql":
            self._admin("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
            self.url = POSTGRES.format(name=self.name)
        else:
            self.url = f"sqlite:///{folder / 'accounts.db'}"
        from sqlalchemy import create_engine

        self.engine = create_engine(self.url, pool_size=2)

    def _admin(self, statement: str) -> None:
        import psycopg2

        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement.format(f'"{self.name}"'))
        finally:
            admin.close()

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params).all()]

    def backend_pids(self) -> list[int]:
        """PostgreSQL's server processes for this database (their CPU is the database's share of a phase)."""
        if self.kind != "postgresql":
            return []
        return [pid for (pid,) in self.rows("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                            "AND pid <> pg_backend_pid()")]

    def close(self) -> None:
        self.engine.dispose()
        if self.kind == "postgresql":
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def stored_at(value: Any) -> float:
    """A `received_at` as the engine returns it (naive UTC: a datetime, or text on SQLite) → unix seconds."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC).timestamp()


class Fleet:
    """`accounts` slots (default, a1 … a<N-1>) on one sandbox, with workers started and killed on demand."""

    def __init__(self, folder: Path, accounts: int, world: dict[str, int], database: str,
                 settings: dict[str, str]) -> None:
        from extensions import db
        from tests.fixtures.processes import RedisServer
        from tests.fixtures.sandbox import start_sandbox
        from wechat.workers.slots import add_account

        self.folder, self.world = folder, world
        self.slots = ["default"] + [f"a{n}" for n in range(1, accounts)]
        self.redis = RedisServer(folder / "redis").start()
        self.client = self.redis.client()
        self.sandbox = start_sandbox(
            "--friends", str(world["friends"]), "--groups", str(world["groups"]), "--members", str(world["members"]),
            "--mps", "0", "--saved-groups", "1", "--accounts", str(accounts - 1), ready_timeout=300)
        self.db = Database(database, folder)
        app = migrated_app(self.db.url, folder / "instance", self.redis.url, WECHAT_DRIVER="padpro",
                           PADPRO_BASE_URL=self.sandbox.base_url, PADPRO_KEY=GATEWAY_KEY)
        with app.app_context():
            for slot in self.slots[1:]:
                add_account(slot, "padpro", {"base_url": self.base(slot), "key": GATEWAY_KEY})
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        self.env = {"REDIS_URL": self.redis.url, "DATABASE_URL": self.db.url, "SECRET_KEY": "bench-secret",
                    "INSTANCE_PATH": str(folder / "instance"), "WECHAT_DRIVER": "padpro",
                    "PADPRO_BASE_URL": self.sandbox.base_url, "PADPRO_KEY": GATEWAY_KEY, **settings}
        self.workers: dict[str, Any] = {}  # name → WorkerProcess, in start order
        self.scans: dict[str, int] = {}  # slot → QR codes confirmed

    def base(self, slot: str) -> str:
        return self.sandbox.base_url + ("" if slot == "default" else f"/a/{slot}")

    def control(self, slot: str, path: str, body: Any = None) -> Any:
        response = self.sandbox.http.request("GET" if body is None else "POST", f"{self.base(slot)}/_sandbox/{path}",
                                             json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    # Workers ----------------------------------------------------------------------------------------------------
    def start_worker(self, cap: int, concurrency: int) -> str:
        from tests.fixtures.processes import start_worker

        name = f"bench{len(self.workers)}"
        self.workers[name] = start_worker({**self.env, "WORKER_MAX_ACCOUNTS": str(cap)}, self.folder / f"{name}.log",
                                          "--hostname", f"{name}@%h", "--concurrency", str(concurrency))
        return name

    def pid(self, name: str) -> int:
        return self.workers[name].process.pid

    def alive(self) -> list[str]:
        return [name for name, worker in self.workers.items() if worker.process.poll() is None]

    def kill(self, name: str) -> None:
        process = self.workers[name].process
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_worker(self, name: str) -> None:
        self.workers[name].stop()

    # What Redis says ---------------------------------------------------------------------------------------------
    def states(self) -> dict[str, str]:
        from wechat.bot.state import BotState

        return {slot: BotState(self.client, slot).login()["state"] for slot in self.slots}

    def holders(self) -> dict[str, str | None]:
        from wechat.bot.state import BotState
        from wechat.workers.placer import holder_of

        return {slot: holder_of(BotState(self.client, slot)) for slot in self.slots}

    def held_by(self, name: str, holders: dict[str, str | None] | None = None) -> list[str]:
        holders = self.holders() if holders is None else holders
        return [slot for slot, holder in holders.items() if holder and holder.startswith(name + "@")]

    def scan(self, slot: str) -> bool:
        """The phone of `slot` scans and confirms the QR code its account shows (False: none was waiting)."""
        response = self.sandbox.http.post(f"{self.base(slot)}/_sandbox/scan", json={"confirm": True}, timeout=30)
        return response.status_code == 200

    def scan_waiting(self) -> dict[str, str]:
        """The login states, after every account showing a QR code had it confirmed (counted in `scans`)."""
        states = self.states()
        for slot, state in states.items():
            if state == "waiting" and self.scan(slot):
                self.scans[slot] = self.scans.get(slot, 0) + 1
        return states

    # What the database says --------------------------------------------------------------------------------------
    def account_slots(self) -> dict[int, str]:
        """account row id → slot (the default slot's row has none: the one row without a slot)."""
        return {account_id: slot or "default" for account_id, slot in self.db.rows("SELECT id, slot FROM accounts")}

    def synced(self) -> set[str]:
        """Slots whose friends and group memberships are all in the database."""
        slots = self.account_slots()
        friends = dict(self.db.rows("SELECT account_id, count(*) FROM contacts WHERE is_friend GROUP BY account_id"))
        members = dict(self.db.rows("SELECT g.account_id, count(*) FROM memberships m JOIN groups g "
                                    "ON g.id = m.group_id GROUP BY g.account_id"))
        # Every seeded group counts the bot among its members; the bot is not a contact of its own.
        want_members = self.world["groups"] * (self.world["members"] - 1)
        return {slot for account_id, slot in slots.items()
                if friends.get(account_id, 0) >= self.world["friends"] and members.get(account_id, 0) >= want_members}

    def stored_count(self, tag: str) -> int:
        return self.db.rows("SELECT count(*) FROM messages WHERE text LIKE :tag", tag=f"{tag} %")[0][0]

    def stored(self, tag: str) -> list[tuple[str, float]]:
        """(server MsgId, stored at) of every row of the messages tagged `tag` (duplicates included)."""
        return [(str(msg_id), stored_at(received)) for msg_id, received in
                self.db.rows("SELECT msg_id, received_at FROM messages WHERE text LIKE :tag", tag=f"{tag} %")]

    # Processes ---------------------------------------------------------------------------------------------------
    def pids(self) -> dict[str, list[int]]:
        pids = {name: [worker.process.pid] for name, worker in self.workers.items() if worker.process.poll() is None}
        pids.update(sandbox=[self.sandbox.process.pid], redis=[self.redis.process.pid], benchmark=[os.getpid()])
        if self.db.kind == "postgresql":
            pids["postgresql"] = self.db.backend_pids()
        return pids

    def cpu(self) -> Sample:
        """Per process of the fleet (the database's backends together), per pid: (CPU seconds used, per thread the
        seconds it waited for a core) so far."""
        return {name: {pid: (cpu_seconds(pid), runqueue_seconds(pid)) for pid in pids}
                for name, pids in self.pids().items()}

    def close(self) -> None:
        from tests.fixtures.sandbox import stop_sandbox

        for worker in self.workers.values():
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(10)
        stop_sandbox(self.sandbox)
        self.redis.stop()
        self.db.close()
        shutil.rmtree(self.folder / "instance", ignore_errors=True)


def cpu_share(before: Sample, after: Sample, seconds: float) -> dict[str, dict[str, float]]:
    """Each process over a phase, as shares of the phase's wall time: `cpu` 1.0 = one core busy all along;
    `waiting_for_cpu` 1.0 = one thread runnable all along but not running (the machine's other work had the cores).
    A pid or thread that appeared during the phase (a database backend, a greenlet pool's thread) counts from zero;
    the wait of a thread that ended during it is not known (left out, so the figure is a lower bound)."""
    shares = {}
    for name, pids in after.items():
        if name not in before:
            continue
        earlier = before[name]
        used = sum(cpu - earlier.get(pid, (0.0, {}))[0] for pid, (cpu, _) in pids.items())
        waited = sum(wait - earlier.get(pid, (0.0, {}))[1].get(tid, 0.0)
                     for pid, (_, waits) in pids.items() for tid, wait in waits.items())
        seconds = max(seconds, 1e-3)
        shares[name] = {"cpu": round(used / seconds, 2), "waiting_for_cpu": round(waited / seconds, 2)}
    return shares
