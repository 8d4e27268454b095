from tests.fixtures.sandbox import bots, sandbox, sandbox_server  # noqa: F401  (fixtures)
