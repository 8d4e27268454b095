"""QR login attempts and web sessions.

Each session hands out fresh random UserNames (``@`` + 32 hex, groups ``@@`` + 64 hex) so that clients
cannot rely on them across logins, exactly as with the real service.
"""

from __future__ import annotations

import base64
import os
import random
import secrets
import time
from dataclasses import dataclass, field

from gevent.event import Event

from sandbox.world import FILEHELPER, FMESSAGE

WAITING, SCANNED, CONFIRMED, EXPIRED = "waiting", "scanned", "confirmed", "expired"
CODES = {WAITING: "408", SCANNED: "201", CONFIRMED: "200", EXPIRED: "400"}
# Logged out from the web client itself vs. from the phone / another login (the bot must notice both).
RET_LOGGED_OUT, RET_KICKED, RET_REFUSED = 1100, 1101, 1102


def _base64_with_specials(size: int) -> str:
    while True:
        value = base64.b64encode(secrets.token_bytes(size)).decode()
        if "+" in value and "/" in value:
            return value


@dataclass
class LoginAttempt:
    uuid: str
    created: float = field(default_factory=time.time)
    state: str = WAITING
    reported: str = ""  # the last code the poller saw, so the next poll waits for a change
    ticket: str = field(default_factory=lambda: secrets.token_hex(16))
    changed: Event = field(default_factory=Event)
    used: bool = False
    desktop: bool = False  # jslogin asked for a redirect_uri with mod=desktop

    def move(self, state: str) -> None:
        self.state = state
        changed, self.changed = self.changed, Event()
        changed.set()


class Session:
    """One logged-in web client."""

    def __init__(self, variant: str, uin: int, position: int) -> None:
        self.variant = variant
        self.uin = uin
        # Real wxsids and pass_tickets are standard base64 and carry '+' and '/' (clients that paste them into URLs
        # unencoded break); these always hold both, so a client that mishandles them fails every time.
        self.sid = _base64_with_specials(12)
        self.skey = "@crypt_" + secrets.token_hex(4) + "_" + secrets.token_hex(16)
        self.pass_ticket = _base64_with_specials(48)
        self.data_ticket = secrets.token_urlsafe(24)
        self.created = time.time()
        self.ended: int | None = None  # RET_LOGGED_OUT / RET_KICKED once over
        self.position = position  # the last SyncKey position the client asked about
        self.initialized = False
        self.refused_1102 = False  # the first synccheck answers 1102 (a login refused after the scan)
        self.status_notify_due = False  # the next webwxsync starts with the type-51 notify (after statusnotify)
        self.selector_7_due = False  # the next idle synccheck answers selector 7 at once (Settings.selector_7)
        self.selector_3_due = False  # this session sent something: the next idle synccheck answers selector 3
        self._rng = random.Random(os.urandom(16))
        self._names: dict[str, str] = {}
        self._ids: dict[str, str] = {FILEHELPER: FILEHELPER, FMESSAGE: FMESSAGE}
        self.chatroom_ids: dict[str, str] = {}

    @property
    def alive(self) -> bool:
        return self.ended is None

    def name_of(self, entity_id: str) -> str:
        """This session's UserName for a stable id (assigned on first use)."""
        name = self._names.get(entity_id)
        if name is None:
            if entity_id in (FILEHELPER, FMESSAGE):
                return entity_id
            # 64 hex characters for people and groups alike, as in wechat4u's recorded responses (test/ fixtures)
            prefix = "@@" if entity_id.startswith("g") else "@"
            name = f"{prefix}{self._rng.getrandbits(256):064x}"
            self._names[entity_id] = name
            self._ids[name] = entity_id
        return name

    def id_of(self, user_name: str) -> str | None:
        return self._ids.get(user_name)

    def encry_chatroom_id(self, group_id: str) -> str:
        return self.chatroom_ids.setdefault(group_id, f"@{self._rng.getrandbits(128):032x}")


class Logins:
    """Pending QR attempts and sessions of the one account."""

    def __init__(self, qr_ttl: float) -> None:
        self.qr_ttl = qr_ttl
        self.attempts: dict[str, LoginAttempt] = {}
        self.by_ticket: dict[str, LoginAttempt] = {}
        self.sessions: dict[str, Session] = {}
        self.latest: LoginAttempt | None = None

    def new_attempt(self) -> LoginAttempt:
        # Real uuids look like 'gZ5s0W3Vkw==': URL-safe characters only, because itchat pastes the uuid
        # into query strings unencoded (a '+' would arrive as a space).
        attempt = LoginAttempt(uuid=secrets.token_urlsafe(8)[:10])
        self.attempts[attempt.uuid] = attempt
        self.by_ticket[attempt.ticket] = attempt
        self.latest = attempt
        return attempt

    def attempt(self, uuid: str) -> LoginAttempt | None:
        attempt = self.attempts.get(uuid)
        if attempt and attempt.state in (WAITING, SCANNED) and time.time() - attempt.created > self.qr_ttl:
            attempt.move(EXPIRED)
        return attempt

    def pending(self) -> LoginAttempt | None:
        """The newest QR code nobody has confirmed yet (what the phone would scan)."""
        attempt = self.latest and self.attempt(self.latest.uuid)
        return attempt if attempt and attempt.state in (WAITING, SCANNED) else None

    def start_session(self, variant: str, uin: int, position: int) -> Session:
        for old in self.live_sessions():
            old.ended = RET_KICKED  # a new web login pushes the previous one out
        session = Session(variant, uin, position)
        self.sessions[session.sid] = session
        return session

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.alive]

    def current(self) -> Session | None:
        live = self.live_sessions()
        return live[-1] if live else None

    def find(self, *, sid: str = "", skey: str = "", data_ticket: str = "") -> Session | None:
        if sid and sid in self.sessions:
            return self.sessions[sid]
        for session in reversed(list(self.sessions.values())):
            if (skey and session.skey == skey) or (data_ticket and session.data_ticket == data_ticket):
                return session
        return None

    def login_state(self) -> str:
        """none | waiting | scanned | confirmed, for /_sandbox/state."""
        pending = self.pending()
        if pending:
            return pending.state
        if self.current() or (self.latest and self.latest.state == CONFIRMED and not self.latest.used):
            return CONFIRMED
        return "none"
