"""How events arrive from the gateway: the WebSocket, its back-off, logout detection, the HTTP safety net.

The WebSocket (``/ws/GetSyncMsg``) is read inside ``poll``; when it drops the inbox reconnects with back-off
and asks ``GetLoginStatus`` whether the account is still in (a logout or kick becomes one ``LogoutEvent``, an
outage nothing). Every ``http_sync_interval`` seconds ``HttpSyncMsg`` runs as a safety net. Messages are
deduplicated by their server id, so a message seen on both paths (or twice after a reconnect) comes once.

Delivery checkpoint: the WebSocket and ``HttpSyncMsg`` hand each message out once, so a worker killed between
reading a message and storing it would lose it. After a poll that handed anything out, the inbox syncs once more
from its own sync key (``/other/GetRedisSyncMsg`` ``{"Key"}``, which reads without moving the push position and
answers the next ``Key``): that key covers everything handed out so far. ``acknowledge()`` (called by the
product once it has stored what ``poll`` returned) gives that key as the checkpoint to keep; ``resume_from`` on the
next start syncs from it first, so what was read but never stored is read again (the product deduplicates by
server id). The keyed sync runs at most every ``keyed_sync_interval`` seconds (a busy account's WebSocket hands
out a message every few milliseconds, and one sync per poll was an HTTP round trip and a second parse per message):
the checkpoint then lags by up to that long, which only means a crash re-reads a little more, never less.

An outage is reported, not hidden: while the gateway's HTTP API cannot be reached, or its WebSocket refuses
``WS_FAILURES_FOR_OUTAGE`` connections in a row, ``poll`` raises ``Unavailable`` (with the reason) whenever it has
no events to hand over; the product shows WeChat as degraded and polls on, and the next connection that works
ends it. A single dropped connection with the gateway still answering is not an outage.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from drivers.padpro import shapes
from drivers.padpro.client import GatewayClient
from drivers.padpro.events import contact_events, notified_chats, server_id, to_events
from drivers.padpro.ws import WsConnection, WsError
from drivers.types import (
    DriverError,
    Event,
    LoginState,
    LoginStateEvent,
    LogoutEvent,
    NotLoggedIn,
    Unavailable,
)

logger = logging.getLogger(__name__)
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
WS_FAILURES_FOR_OUTAGE = 2
KEYED_RETRY_SECONDS = 30.0
KEYED_SYNC_SECONDS = 3.0  # at most one keyed sync per this long: how far the checkpoint may lag the WebSocket


class Inbox:
    def __init__(self, client: GatewayClient, *, http_sync_interval: float = 30.0,
                 backoff: Sequence[float] = BACKOFF, dedupe_size: int = 20_000,
                 keyed_sync_interval: float = KEYED_SYNC_SECONDS,
                 ws_connect: Callable[[str, float], WsConnection] = WsConnection.connect,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.http_sync_interval = http_sync_interval
        self.keyed_sync_interval = keyed_sync_interval
        self.backoff = tuple(backoff)
        self._ws_connect = ws_connect
        self._clock = clock
        self._ws: WsConnection | None = None
        self._failures = 0
        self._next_connect = 0.0
        self._next_http_sync = 0.0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_size = dedupe_size
        self.self_id = ""  # the account's wxid, to tell its own messages and mentions
        self.logged_in = False  # a LogoutEvent is reported only for a session we knew was in
        self.notified: list[str] = []  # chat ids from status notifies, for the driver to learn groups from
        self._pending: list[Event] = []  # events of the HTTP sync made right after a login (prime)
        self.outage: str | None = None  # why the gateway cannot be reached (None: it can)
        self._sync_key: str | None = None  # the keyed sync's position (None: not known yet; '': the login's start)
        self._keyed_due = False  # handed something out (or resumed) since the last keyed sync
        self._baseline = False  # no checkpoint for a session we did not log in: take the position, skip the past
        self._delivered: str | None = None  # the key covering everything handed out (acknowledge() returns it)
        self._acked: str | None = None
        self._fresh_login = False  # this inbox saw the QR login: everything of the login is new (key '')
        self._keyed_retry_at = 0.0  # after a failed keyed sync: not before this (a gateway without it is not hammered)
        self._keyed_next_at = 0.0  # the next keyed sync, not before this (keyed_sync_interval)

    def logged_in_as(self, wxid: str, *, fresh: bool = False) -> None:
        self.logged_in = True
        if fresh:  # a new login: its messages start at the login, so a sync from the empty key reads them all
            self._fresh_login, self._sync_key, self._keyed_due, self._baseline = True, "", False, False
        self.self_id = wxid or self.self_id
        self._failures, self._next_connect, self._next_http_sync = 0, 0.0, 0.0

    def prime(self) -> None:
        """Right after a login: one HttpSyncMsg, so that what the gateway holds for the new login (the phone's
        status notify with its recent chats first) is known before anyone lists groups. Its events wait for the
        next poll; called before the receiver polls (the listener logs in first)."""
        self._pending += self._http_sync()

    def resume_from(self, checkpoint: str | None) -> None:
        """Start from the product's last acknowledged checkpoint: the first poll syncs from it, so messages read
        but never stored before a crash come again. None (nothing stored yet) for a session this inbox did not
        log in takes the current position without handing out the past (WeChatPadPro issue 37: a gateway
        re-sends the whole login after a restart; replaying it would answer old messages)."""
        if self._fresh_login:
            return  # a QR login of this inbox starts at the login whatever an older session left behind
        self._sync_key = checkpoint or ""
        self._baseline = checkpoint is None
        self._keyed_due = True

    def acknowledge(self) -> str | None:
        """The product stored everything ``poll`` returned: the checkpoint to keep (None when it did not move)."""
        if self._delivered is None or self._delivered == self._acked:
            return None
        self._acked = self._delivered
        return self._acked

    def poll(self, timeout: float) -> list[Event]:
        events = self._poll(timeout)
        self._keyed_due = self._keyed_due or bool(events)
        now = self._clock()
        if self._keyed_due and self.logged_in and self._sync_key is not None \
                and now >= max(self._keyed_retry_at, self._keyed_next_at):
            self._keyed_next_at = now + self.keyed_sync_interval
            events += self._keyed_sync()
        return events

    def _keyed_sync(self) -> list[Event]:
        """Sync from the inbox's key: its answer's key covers every message handed out until now."""
        try:
            data = self.client.post("/other/GetRedisSyncMsg", {"Key": self._sync_key})
            raw, key, more = shapes.keyed_sync(data)
        except DriverError as exc:
            logger.info("gateway keyed sync failed: %s", exc)
            self._keyed_due, self._keyed_retry_at = True, self._clock() + KEYED_RETRY_SECONDS
            return []  # the checkpoint stays where it was: a crash now re-reads more, never less
        if not key:  # a gateway without keyed syncs: no checkpoint (a read-but-unspooled message stays lost)
            self._keyed_due, self._keyed_retry_at = False, self._clock() + KEYED_RETRY_SECONDS
            return []
        baseline, self._baseline = self._baseline, False
        self._sync_key, self._keyed_due = key, more
        if baseline:
            self._baseline = more  # the past may take several answers
            for message in raw:
                self._fresh(self._events_of(message))  # remembered as seen, not handed out
            self._delivered = key
            return []
        events = [e for message in raw for e in self._fresh(self._events_of(message))]
        self._delivered = key
        return events + contact_events(data, self.self_id)

    def _poll(self, timeout: float) -> list[Event]:
        deadline = self._clock() + timeout
        events, self._pending = self._pending, []
        if self.logged_in and self._clock() >= self._next_http_sync:
            events += self._http_sync()
        while not events and self._clock() < deadline:
            if self._ws is None:
                if self._clock() < self._next_connect:
                    time.sleep(max(0.0, min(deadline, self._next_connect) - self._clock()))
                    continue
                events += self._connect()
                continue
            try:
                frame = self._ws.recv(max(0.0, deadline - self._clock()))
                while frame is not None:
                    events += self._frame_events(frame)
                    frame = self._ws.recv(0.0)  # drain what already arrived, then hand the batch over
            except WsError as exc:
                logger.info("gateway WebSocket dropped: %s", exc)
                self.close()
                events += self._after_drop()
        if not events and self.outage:
            raise Unavailable(self.outage)
        return events

    def _connect(self) -> list[Event]:
        try:
            self._ws = self._ws_connect(self.client.ws_url(), self.client.connect_timeout)
            self._failures, self.outage = 0, None
            return []
        except WsError as exc:
            logger.info("gateway WebSocket connect failed: %s", exc)
            events = self._after_drop()
            if self.outage is None and self._failures >= WS_FAILURES_FOR_OUTAGE and self.logged_in:
                self.outage = f"the gateway's WebSocket is unreachable: {exc}"
            return events

    def _after_drop(self) -> list[Event]:
        """Back off, and tell a lost session (logout, kick) from a network blip."""
        delay = self.backoff[min(self._failures, len(self.backoff) - 1)]
        self._failures += 1
        self._next_connect = self._clock() + delay
        try:
            state = shapes.login_status(self.client.get("/login/GetLoginStatus"))
        except NotLoggedIn:
            state = LoginState.LOGGED_OUT
        except DriverError as exc:
            # The gateway itself is down: keep retrying (the session may be fine), and say so (degraded).
            self.outage = f"the gateway is unreachable: {exc}"
            return []
        if state is LoginState.LOGGED_OUT and self.logged_in:
            self.logged_in = False
            return [LoginStateEvent(LoginState.LOGGED_OUT), LogoutEvent("the gateway reports the account offline")]
        return []

    def _http_sync(self) -> list[Event]:
        self._next_http_sync = self._clock() + self.http_sync_interval
        self._keyed_due = True  # the safety net also reads contact changes the WebSocket never pushes
        try:
            data = self.client.post("/message/HttpSyncMsg", {"Count": 0})
        except NotLoggedIn:
            return self._after_drop()
        except DriverError as exc:
            logger.info("gateway HTTP sync failed: %s", exc)
            return []
        raw = shapes.synced_messages(data)
        return [e for message in raw for e in self._fresh(self._events_of(message))] + \
            contact_events(data, self.self_id)

    def _frame_events(self, frame: str) -> list[Event]:
        try:
            payload = json.loads(frame)
        except ValueError:
            logger.info("gateway sent a frame that is not JSON (%d characters)", len(frame))
            return []
        messages = payload if isinstance(payload, list) else [payload]
        return [e for m in messages if isinstance(m, dict) for e in self._fresh(self._events_of(m))]

    def _events_of(self, message: dict) -> list[Event]:
        if server_id(message) in self._seen:  # read before (the keyed sync re-reads what the WebSocket pushed)
            return []
        self.notified += notified_chats(message)
        return to_events(message, self.self_id)

    def _fresh(self, events: list[Event]) -> list[Event]:
        fresh = []
        for event in events:
            msg_id = getattr(event, "msg_id", "")
            if msg_id:
                if msg_id in self._seen:
                    continue
                self._seen[msg_id] = None
                if len(self._seen) > self._dedupe_size:
                    self._seen.popitem(last=False)
            fresh.append(event)
        return fresh

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
