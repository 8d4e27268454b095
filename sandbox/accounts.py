"""Several WeChat accounts in one sandbox process: one world (and session, log, gateway keys) per account.

The root paths serve the default account exactly as before (its control API included). Every further account is a
complete sandbox app of its own mounted under `/a/<name>/`: its web-WeChat routes, its gateway face and its
control API (`/a/<name>/_sandbox/...`, same token) live there, so a client pointed at
`http://host:port/a/<name>` (the padpro driver's base URL; after login itchat follows the redirect_uri, which keeps
the prefix) talks to that account only. Accounts are added at start (`--accounts N`: a1..aN) or at run time
(`POST /_sandbox/accounts` on the root); each is seeded like the root world but with its own seed and uin.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import zlib
from collections.abc import Callable
from typing import Any

from flask import Flask

from sandbox.seeding import WorldSpec

PREFIX = "/a/"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
MAX_ACCOUNTS = 500


class AccountError(ValueError):
    pass


def account_spec(base: WorldSpec, name: str, **overrides: Any) -> WorldSpec:
    """The root world's shape with this account's own seed, nick name and uin (so its wxids differ)."""
    number = zlib.crc32(name.encode())
    account = {**base.account, "nick_name": overrides.pop("nick_name", f"机器人-{name}"),
               "uin": 2_100_000_000 + number % 10**8}
    fields = {key: overrides.pop(key, getattr(base, key))
              for key in ("friends", "groups", "members", "mps", "saved_groups")}
    seed = overrides.pop("seed", base.seed * 7919 + number % 10**6)
    if overrides:
        raise AccountError(f"unknown account fields {sorted(overrides)}")
    return WorldSpec(**fields, seed=seed, account=account)


class AccountDispatcher:
    """WSGI: `/a/<name>/…` to that account's app (SCRIPT_NAME carries the prefix), everything else to the root."""

    def __init__(self, root: Callable, make_app: Callable[[WorldSpec], Flask], base: WorldSpec) -> None:
        self.root = root
        self.make_app = make_app
        self.base = base
        self.apps: dict[str, Flask] = {}
        self._lock = threading.Lock()

    def add(self, name: str, **overrides: Any) -> Flask:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise AccountError("an account name is 1 to 40 characters: a-z, 0-9, '-' and '_'")
        spec = account_spec(self.base, name, **overrides)
        spec.validate()
        with self._lock:
            if name in self.apps:
                raise AccountError(f"account {name!r} exists")
            if len(self.apps) >= MAX_ACCOUNTS:
                raise AccountError(f"at most {MAX_ACCOUNTS} accounts")
            self.apps[name] = self.make_app(spec)
        return self.apps[name]

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": name, "path": f"{PREFIX}{name}",
                 "nick_name": app.extensions["sandbox"].world.account.nick_name}
                for name, app in sorted(self.apps.items())]

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            name, _, rest = path[len(PREFIX):].partition("/")
            app = self.apps.get(name)
            if app is not None:
                environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + PREFIX + name,
                               PATH_INFO="/" + rest)
                return app(environ, start_response)
        return self.root(environ, start_response)


def mount(app: Flask, make_app: Callable[[WorldSpec], Flask]) -> AccountDispatcher:
    dispatcher = AccountDispatcher(app.wsgi_app, make_app, dataclasses.replace(app.config["SANDBOX_START_SPEC"]))
    app.wsgi_app = dispatcher
    app.extensions["sandbox_accounts"] = dispatcher
    return dispatcher
