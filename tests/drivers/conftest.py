"""Fixtures for driver tests: the real sandbox process and a padpro driver logged in through its gateway face."""

from __future__ import annotations

import pytest

from drivers.padpro import GatewayClient, PadProDriver
from drivers.types import LoginState
from tests.fixtures.sandbox import SandboxServer, sandbox, sandbox_server  # noqa: F401  (fixtures)

GATEWAY_KEY = "sandbox-gateway-key"  # pre-issued by the sandbox's gateway face (sandbox/gateway/state.py)


def login(server: SandboxServer, driver: PadProDriver) -> None:
    """QR login as the owner would do it: the driver shows the QR, the sandbox's phone scans and confirms."""
    qr = driver.login_qr()
    assert server.state()["uuid"] == qr.uuid
    assert driver.login_state() is LoginState.WAITING
    server.scan(confirm=True)
    assert driver.login_state() is LoginState.LOGGED_IN


@pytest.fixture
def padpro(sandbox: SandboxServer):  # noqa: F811 - the fixture above
    """A padpro driver on a fresh sandbox world, logged in; closed after the test."""
    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=10), http_sync_interval=3600)
    login(sandbox, driver)
    yield driver
    driver.close()
