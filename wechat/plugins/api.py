"""What a running plugin may use besides the message: `current_call()`.

Community plugins only need `main(msg)`; plugins written for this project (the built-ins) read their settings,
Redis and the account here, and report a handled failure (an endpoint that did not answer) so it shows in the
dashboard without raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g

from wechat.bot.state import BotState
from wechat.plugins.spec import PluginSpec


@dataclass
class PluginCall:
    spec: PluginSpec
    settings: dict[str, Any]
    account_id: int
    state: BotState
    bot: Any
    app: Flask
    enabled: list[PluginSpec]  # every enabled plugin (the help plugin lists them)
    time_limit: float

    @property
    def name(self) -> str:
        return self.spec.name

    def key(self, suffix: str) -> str:
        """A Redis key of this plugin: `wx:<account>:plugin:<name>:<suffix>`."""
        return self.state.key(f"plugin:{self.spec.name}:{suffix}")

    def report_error(self, message: str) -> None:
        from wechat.plugins.registry import record_error

        record_error(self.spec.name, message)


def current_call() -> PluginCall:
    """The call being run (inside a plugin's main only)."""
    call = g.get("wechat_plugin_call")
    if call is None:
        raise RuntimeError("current_call() is only available while a plugin runs")
    return call
