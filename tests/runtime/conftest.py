"""A live stack for bot-runtime tests: the sandbox, our Redis, a migrated SQLite DB, real worker processes, and a
Flask app in the test process (sharing the DB and instance folder) to call the API with a token."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app import create_app
from extensions import db
from tests.fixtures.admins import admin_with_token
from tests.fixtures.processes import WorkerProcess, start_worker, wait_for
from tests.fixtures.sandbox import SandboxServer, sandbox, sandbox_server  # noqa: F401  (fixtures)


@dataclass
class Stack:
    app: object
    sandbox: SandboxServer
    env: dict[str, str]
    folder: Path
    token: str
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self):
        return self.app.test_client()

    def api(self, method: str, path: str, **kwargs):
        return self.client().open(path, method=method, headers=self.headers, **kwargs)

    def status(self) -> dict:
        return self.api("GET", "/api/status").json

    def login_state(self) -> str:
        return self.status()["login"]["state"]

    def start_worker(self, **env: str) -> WorkerProcess:
        name = f"worker{len(self.workers)}"
        worker = start_worker({**self.env, **env}, self.folder / f"{name}.log", "--hostname", f"{name}@%h")
        self.workers.append(worker)
        return worker

    def wait_state(self, state: str, timeout: float = 30) -> dict:
        return wait_for(lambda: self.status() if self.login_state() == state else None, timeout,
                        what=f"login state {state!r} (now {self.login_state()!r})")

    def log_in(self, timeout: float = 30) -> dict:
        self.wait_state("waiting", timeout)
        self.sandbox.scan(confirm=True)
        return self.wait_state("logged_in", timeout)

    def shutdown(self) -> None:
        """Kill the workers still running and release the database (the end of every live-stack fixture)."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(10)
        with self.app.app_context():
            db.engine.dispose()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()[-6000:]}" for w in self.workers)


# Both drivers run the product against the same sandbox (one world, two faces); a test runs on both with
# `@pytest.mark.parametrize("driver", DRIVERS)` (it overrides the `driver` fixture below).
DRIVERS = ("itchat", "padpro")


def build_stack(sandbox, migrated_db, redis_server, tmp_path: Path, driver: str = "itchat") -> Stack:  # noqa: F811
    """A Stack on a flushed Redis and a copy of the migrated database in tmp_path (no worker yet), its workers
    on `driver` (itchat: the web face; padpro: the gateway face of the same sandbox)."""
    redis_server.client().flushall()
    db_path = tmp_path / "stack.db"
    shutil.copy(migrated_db, db_path)
    instance = tmp_path / "instance"
    env = {
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "stack-secret",
        "INSTANCE_PATH": str(instance),
        "WECHAT_BASE_URL": sandbox.base_url,
        "LISTENER_LEASE_TTL": "4",
        "LISTENER_HEARTBEAT": "0.5",
        "SEND_DELAY_MIN": "0.05",
        "SEND_DELAY_MAX": "0.1",
        "WECHAT_DRIVER": driver,
        "PADPRO_BASE_URL": sandbox.base_url,
        "PADPRO_KEY": "sandbox-gateway-key",
        "PADPRO_HTTP_SYNC_SECONDS": "5",
    }
    app = create_app({"TESTING": True, "SECRET_KEY": env["SECRET_KEY"], "REDIS_URL": env["REDIS_URL"],
                      "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "LISTENER_HEARTBEAT": 0.5,
                      "WECHAT_DRIVER": driver, "PADPRO_BASE_URL": sandbox.base_url, "PADPRO_KEY": env["PADPRO_KEY"]},
                     instance_path=str(instance))
    with app.app_context():
        clear = admin_with_token(token_name="runtime tests")
    return Stack(app=app, sandbox=sandbox, env=env, folder=tmp_path, token=clear)


@pytest.fixture
def driver() -> str:
    """The driver of the live stack; parametrize a test on `driver` to run it on both."""
    return "itchat"


@pytest.fixture
def stack(sandbox, migrated_db, redis_server, tmp_path, driver) -> Stack:  # noqa: F811
    built = build_stack(sandbox, migrated_db, redis_server, tmp_path, driver)
    yield built
    built.shutdown()
