"""What the web side knows about the bot, kept in Redis (all of it may be lost: the listener rewrites it).

Keys are per account slot (`WECHAT_ACCOUNT`, "default"), since before the scan nobody knows which WeChat user it
will be. Every change of login or listener state is also published as an SSE event.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from libs.events import publish

LOGIN_STATES = ("starting", "waiting", "scanned", "confirmed", "logged_in", "logged_out", "refused", "stopped")
QR_TTL_SECONDS = 300


class BotState:
    def __init__(self, client: redis.Redis, account: str = "default") -> None:
        self.client = client
        self.account = account

    def key(self, name: str) -> str:
        return f"wx:{self.account}:{name}"

    def _hash(self, name: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.key(name)).items()}

    # -- login -------------------------------------------------------------------------------------------------
    def set_login(self, state: str, **fields: Any) -> dict[str, Any]:
        if state not in LOGIN_STATES:
            raise ValueError(f"unknown login state {state!r}")
        record = {"state": state, "updated_at": time.time(), "message": "", **fields}
        pipe = self.client.pipeline()
        pipe.delete(self.key("login"))
        pipe.hset(self.key("login"), mapping={k: str(v) for k, v in record.items()})
        if state not in ("waiting", "scanned"):
            pipe.delete(self.key("qrcode"))
        pipe.execute()
        publish("login", record, client=self.client)
        return record

    def login(self) -> dict[str, Any]:
        raw = self._hash("login")
        if not raw:
            return {"state": "stopped", "updated_at": None, "message": ""}
        raw["updated_at"] = float(raw["updated_at"])
        return raw

    def is_logged_in(self) -> bool:
        return self.login()["state"] == "logged_in"

    def set_qrcode(self, png: bytes) -> None:
        self.client.set(self.key("qrcode"), png, ex=QR_TTL_SECONDS)

    def qrcode(self) -> bytes | None:
        return self.client.get(self.key("qrcode"))

    # -- listener ----------------------------------------------------------------------------------------------
    def listener_started(self, task_id: str, hostname: str) -> None:
        now = time.time()
        pipe = self.client.pipeline()
        pipe.hset(self.key("listener"), mapping={"task_id": task_id, "hostname": hostname, "started_at": now,
                                                 "heartbeat": now, "status": "running"})
        pipe.hincrby(self.key("listener"), "starts", 1)
        pipe.delete(self.key("launch"))
        pipe.execute()
        publish("listener", {"status": "running", "task_id": task_id, "hostname": hostname}, client=self.client)

    def heartbeat(self, task_id: str) -> None:
        self.client.hset(self.key("listener"), mapping={"heartbeat": time.time(), "task_id": task_id})

    def listener_stopped(self, task_id: str, reason: str) -> None:
        self.client.hset(self.key("listener"), mapping={"status": reason, "stopped_at": time.time()})
        publish("listener", {"status": reason, "task_id": task_id}, client=self.client)

    def listener(self) -> dict[str, Any]:
        raw = self._hash("listener")
        for name in ("started_at", "heartbeat", "stopped_at"):
            if name in raw:
                raw[name] = float(raw[name])
        if "starts" in raw:
            raw["starts"] = int(raw["starts"])
        return raw

    def heartbeat_age(self) -> float | None:
        beat = self.listener().get("heartbeat")
        return None if beat is None else max(0.0, time.time() - beat)

    # -- WeChat connection health (written by the listener's receive loop, shown as `degraded` in /api/status) --
    def wechat_error(self, errors: int, message: str) -> None:
        """The receive loop failed `errors` times in a row; the last error was `message`."""
        now = time.time()
        pipe = self.client.pipeline()
        pipe.hset(self.key("wechat"), mapping={"errors": errors, "last_error": message, "last_error_at": now})
        pipe.hsetnx(self.key("wechat"), "since", now)
        pipe.execute()
        if errors == 1:
            publish("listener", {"status": "running", "degraded": True, "last_error": message}, client=self.client)

    def wechat_recovered(self, errors: int) -> None:
        """Back to normal after `errors` failures; the last error stays visible (errors 0) until the next login."""
        pipe = self.client.pipeline()
        pipe.hset(self.key("wechat"), mapping={"errors": 0, "recovered_at": time.time(), "last_outage_errors": errors})
        pipe.hdel(self.key("wechat"), "since")
        pipe.execute()
        publish("listener", {"status": "running", "degraded": False}, client=self.client)

    def clear_wechat_health(self) -> None:
        self.client.delete(self.key("wechat"))

    def wechat_health(self) -> dict[str, Any]:
        raw = self._hash("wechat")
        number = {name: float(raw[name]) for name in ("last_error_at", "since", "recovered_at") if name in raw}
        return {"consecutive_errors": int(raw.get("errors", 0)), "last_error": raw.get("last_error"),
                "last_error_at": number.get("last_error_at"), "degraded_since": number.get("since"),
                "recovered_at": number.get("recovered_at")}

    # -- control -----------------------------------------------------------------------------------------------
    def request_stop(self, task_id: str) -> None:
        """Ask a running listener (found by its task id) to stop; it checks at every heartbeat."""
        self.client.set(self.key(f"stop:{task_id}"), 1, ex=3600)

    def stop_requested(self, task_id: str) -> bool:
        return bool(self.client.exists(self.key(f"stop:{task_id}")))

    def request_logout(self) -> None:
        """Ask whichever listener holds the bot to log out of WeChat (the dashboard's logout)."""
        self.client.set(self.key("logout"), 1, ex=120)

    def take_logout_request(self) -> bool:
        return bool(self.client.delete(self.key("logout")))

    def mark_launch(self, ttl: int = 30) -> bool:
        """True for the first caller in ttl seconds: dedupes listener launches from many workers and the watchdog."""
        return bool(self.client.set(self.key("launch"), 1, nx=True, ex=ttl))

    def clear_launch(self) -> None:
        self.client.delete(self.key("launch"))

    def set_paused(self, reason: str | None) -> None:
        """While paused (e.g. login refused) the watchdog does not relaunch the listener."""
        if reason:
            self.client.set(self.key("paused"), reason)
        else:
            self.client.delete(self.key("paused"))

    def paused(self) -> str | None:
        value = self.client.get(self.key("paused"))
        return value.decode() if value is not None else None
