"""The live stack of tests/runtime (sandbox, Redis, migrated SQLite, real worker processes, API client)."""

from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.runtime.conftest import driver, stack  # noqa: F401  (fixtures)
