"""What the web side knows about the bot, kept in Redis (all of it may be lost: the listener rewrites it).

Keys are per account slot (`WECHAT_ACCOUNT`, "default"), since before the scan nobody knows which WeChat user it
will be. Every change of login or listener state is also published as an SSE event.

One writer at a time: the login state, QR image, heartbeat and account identity are written only by the listener
holding the lease, with its generation (wechat/bot/fence.py), and read back through the lease (`derive_login`), so a
replaced listener can neither overwrite its successor nor be believed after it died.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from wechat.bot.fence import FencedWrite
from wechat.bot.lease import Lease

# `no_listener`: nobody holds the lease. Read so whenever it is free; written (with the reason) by a listener giving
# the lease up and by the watchdog after a listener died, so the SSE `login` event says it too.
LOGIN_STATES = ("starting", "waiting", "scanned", "confirmed", "logged_in", "logged_out", "refused", "stopped",
                "no_listener")
QR_TTL_SECONDS = 300


def derive_login(record: dict[str, Any], held: bool, generation: str | None, paused: str | None) -> dict[str, Any]:
    """What the dashboard shows: what the current lease holder says, not the last thing anybody wrote.

    Nobody holds the lease → `no_listener` (keeping the reason a listener left when it gave the lease up), except a
    refused login while paused: nobody will start until the operator acts, and the message says why. A holder that
    has not written anything yet (the record is from an older generation) → `starting`.
    """
    state = record.get("state")
    if not held:
        if state == "no_listener" or (state == "refused" and paused):
            return record
        return {"state": "no_listener", "updated_at": None, "message": ""}
    if record.get("generation") != generation:
        return {"state": "starting", "updated_at": None, "message": ""}
    return record


class BotState:
    """Reads for everyone; writes of the listener's state for the lease holder only.

    A BotState with a `generation` (set by `acquire`) writes as that lease holder: Redis drops its writes once a
    newer listener took the lease. Without one (web, beat) the same writes apply only while nobody holds the lease.
    """

    def __init__(self, client: redis.Redis, account: str = "default", generation: int | None = None) -> None:
        self.client = client
        self.account = account
        self.generation = generation

    def key(self, name: str) -> str:
        return f"wx:{self.account}:{name}"

    def _hash(self, name: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.key(name)).items()}

    def _write(self) -> FencedWrite:
        return FencedWrite(self.client, self.key("lease"), self.generation)

    # -- the lease ---------------------------------------------------------------------------------------------
    def lease(self, ttl_seconds: float) -> Lease:
        return Lease(self.client, self.key("lease"), ttl_seconds, fenced=True)

    def acquire(self, owner: str, ttl_seconds: float) -> int:
        """Take the listener lease; on success this BotState writes with the new generation (returned; 0: busy)."""
        generation = self.lease(ttl_seconds).acquire(owner)
        if generation:
            self.generation = generation
        return generation

    def release(self, task_id: str, reason: str, message: str = "", keep_login: bool = False) -> bool:
        """Give the lease up and say so in one step: listener stopped, login `no_listener` with `message` (unless
        keep_login: a refused login stays visible), both as events. False if this holder had been replaced.

        Deleting the lease key inside the fenced write is safe: while this generation is the newest, the lease is
        this holder's or nobody's."""
        now = time.time()
        write = self._write().hset(self.key("listener"), {"status": reason, "stopped_at": now})
        write.delete(self.key("lease")).event("listener", {"status": reason, "task_id": task_id})
        if not keep_login:
            record = {"state": "no_listener", "updated_at": now, "message": message or reason}
            write.delete(self.key("login")).hset(self.key("login"), record).delete(self.key("qrcode"))
            write.event("login", record)
        return write.commit()

    def lease_holder(self) -> str | None:
        value = self.client.get(self.key("lease"))
        return value.decode() if value is not None else None

    # -- login -------------------------------------------------------------------------------------------------
    def set_login(self, state: str, qrcode: bytes | None = None, **fields: Any) -> bool:
        """Write the login state (and the QR image, if given) and publish it; False if fenced off."""
        if state not in LOGIN_STATES or state == "no_listener":
            raise ValueError(f"unknown login state {state!r}")
        record = {"state": state, "updated_at": time.time(), "message": "", **fields}
        if self.generation is not None:
            record["generation"] = str(self.generation)
        write = self._write().delete(self.key("login")).hset(self.key("login"), record)
        if state == "logged_in":
            write.delete(self.key("session_end"))  # the operator has logged in again: the notice is answered
        if qrcode:
            write.set(self.key("qrcode"), qrcode, ex=QR_TTL_SECONDS)
        elif state not in ("waiting", "scanned"):
            write.delete(self.key("qrcode"))
        return write.event("login", record).commit()

    def note_session_end(self, message: str) -> bool:
        """Keep why the last session ended until the next login (the dashboard shows it beside the new QR; the
        `login` events of the ending and of the fresh QR make the page read it)."""
        record = {"message": message, "at": time.time()}
        return self._write().delete(self.key("session_end")).hset(self.key("session_end"), record).commit()

    def session_end(self) -> dict[str, Any] | None:
        raw = self._hash("session_end")
        return {"message": raw["message"], "at": float(raw.get("at", 0))} if "message" in raw else None

    def no_listener(self, message: str) -> bool:
        """The watchdog's word when a listener died without giving its lease up (applies only while it is free)."""
        record = {"state": "no_listener", "updated_at": time.time(), "message": message}
        write = FencedWrite(self.client, self.key("lease"), None)
        write.delete(self.key("login")).hset(self.key("login"), record).delete(self.key("qrcode"))
        return write.event("login", record).commit()

    def recorded_login(self) -> dict[str, Any]:
        """The last login record written, whoever wrote it (use login() for what is true now)."""
        raw = self._hash("login")
        if "updated_at" in raw:
            raw["updated_at"] = float(raw["updated_at"])
        return raw

    def login(self) -> dict[str, Any]:
        """The login state as the current lease holder says it (see derive_login)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(self.key("login"))
        pipe.exists(self.key("lease"))
        pipe.get(self.key("lease:generation"))
        pipe.get(self.key("paused"))
        raw, held, generation, paused = pipe.execute()
        record = {k.decode(): v.decode() for k, v in raw.items()}
        if "updated_at" in record:
            record["updated_at"] = float(record["updated_at"])
        return derive_login(record, bool(held), generation.decode() if generation else None,
                            paused.decode() if paused else None)

    def is_logged_in(self) -> bool:
        return self.login()["state"] == "logged_in"

    def qrcode(self) -> bytes | None:
        if self.login()["state"] not in ("waiting", "scanned"):
            return None  # a QR image a replaced listener left behind is nobody's to scan
        return self.client.get(self.key("qrcode"))

    # -- listener ----------------------------------------------------------------------------------------------
    def listener_started(self, task_id: str, hostname: str) -> bool:
        now = time.time()
        write = self._write().hset(self.key("listener"), {"task_id": task_id, "hostname": hostname,
                                                          "started_at": now, "heartbeat": now, "status": "running"})
        write.hincrby(self.key("listener"), "starts", 1).delete(self.key("launch"))
        return write.event("listener", {"status": "running", "task_id": task_id, "hostname": hostname}).commit()

    def heartbeat(self, task_id: str) -> bool:
        return self._write().hset(self.key("listener"), {"heartbeat": time.time(), "task_id": task_id}).commit()

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
        write = self._write().hset(self.key("wechat"), {"errors": errors, "last_error": message,
                                                         "last_error_at": now})
        write.hsetnx(self.key("wechat"), "since", now)
        if errors == 1:
            write.event("listener", {"status": "running", "degraded": True, "last_error": message})
        write.commit()

    def wechat_recovered(self, errors: int) -> None:
        """Back to normal after `errors` failures; the last error stays visible (errors 0) until the next login."""
        write = self._write().hset(self.key("wechat"), {"errors": 0, "recovered_at": time.time(),
                                                         "last_outage_errors": errors})
        write.hdel(self.key("wechat"), "since").event("listener", {"status": "running", "degraded": False})
        write.commit()

    def clear_wechat_health(self) -> None:
        self._write().delete(self.key("wechat")).commit()

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

    def request_qr_refresh(self) -> None:
        """Ask the listener waiting for a scan to replace its QR code (it does so in its own login loop)."""
        self.client.set(self.key("refresh"), 1, ex=30)

    def take_qr_refresh(self) -> bool:
        return bool(self.client.delete(self.key("refresh")))

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
