"""The sandbox's state in one object: world, event log, logins, media, the sent list, limits and faults."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.events import ContactChange, EventLog, Message, SentLog, next_msg_id
from sandbox.media import MediaStore
from sandbox.seeding import WorldSpec, build_world
from sandbox.session import RET_KICKED, Logins, Session
from sandbox.world import SELF_ID, Group, World


@dataclass
class Settings:
    sync_timeout: float = 25.0  # synccheck long poll, like the real service
    login_poll_timeout: float = 25.0  # the /login poll holds this long while nothing changes
    qr_ttl: float = 300.0
    sync_batch: int = 500  # AddMsgList entries per webwxsync; ContinueFlag tells the client to come back
    invite_accept: str = "immediate"  # or "manual": invitees join via POST /_sandbox/groups/join
    note_language: str = "zh"  # or "en": the account's client language, in which WeChat writes system notes
    # synccheck answers selector 7 at once with nothing to fetch: once after each webwxsync that delivered
    # messages (the phone "in a chat"), on every idle poll ("always": the busy-loop accounts), or never
    selector_7: str = "after_messages"
    # how a refused login looks (World.web_login_refused): <ret>1203, an HTML page, a 301 without Location
    # (web route only), or a login that "succeeds" and whose first synccheck answers 1102 (either route)
    refusal: str = "1203"
    # Friendly switches (off = like the real service; docs/SANDBOX.md says what each one models):
    # a repeated ClientMsgId answered with the first MsgID and not delivered again (nothing shows WeChat does this)
    dedupe_client_msg_id: bool = False
    # webwxgetcontact listing every group, not only those saved to contacts
    all_groups_in_contacts: bool = False
    # New groups per rolling hour before webwxcreatechatroom answers Ret 1 "操作太频繁" (ItChat issue 560); 0 = off.
    groups_per_hour: int = 3
    # webwxupdatechatroom?fun=delmember: "refused" answers Ret 1 with an empty ErrMsg even for the owner, as web
    # WeChat has been reported to (ItChat issues 877, 923); "allowed" removes them; "refused_everywhere" refuses
    # on the gateway face too (the iPad protocol removes members: only tests of the refusal path need this).
    member_removal: str = "refused"
    # A web session ends by itself (synccheck retcode 1100) this many seconds after login; 0 = never.
    session_lifetime: float = 48 * 3600.0


class RateLimiter:
    """At most ``sends`` operations per ``per_seconds``; beyond that the service answers Ret 1205."""

    def __init__(self, sends: int | None = None, per_seconds: float = 1.0) -> None:
        self.sends, self.per_seconds = sends, per_seconds
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        if not self.sends:
            return True
        now = time.monotonic()
        while self._times and now - self._times[0] > self.per_seconds:
            self._times.popleft()
        if len(self._times) >= self.sends:
            return False
        self._times.append(now)
        return True

    def describe(self) -> dict[str, Any] | None:
        return {"sends": self.sends, "per_seconds": self.per_seconds} if self.sends else None


@dataclass
class Faults:
    """Failure injection for the protocol routes (never for /_sandbox)."""

    mode: str = "none"  # none | http_500 | slow | drop
    seconds: float = 0.0  # the delay for ``slow``
    until: float | None = None  # monotonic deadline after which the fault clears by itself

    def active(self) -> str:
        if self.until is not None and time.monotonic() > self.until:
            self.mode, self.until = "none", None
        return self.mode


@dataclass
class Sandbox:
    settings: Settings = field(default_factory=Settings)
    spec: WorldSpec = field(default_factory=WorldSpec)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter()
        self.faults = Faults()
        self.log = EventLog()
        self.logins = Logins(self.settings.qr_ttl)
        self.reset(self.spec)

    def reset(self, spec: WorldSpec, rate_limit: RateLimiter | None = None) -> None:
        world = build_world(spec)  # first, so bad input leaves the old world intact
        for session in self.logins.live_sessions():
            session.ended = RET_KICKED
        self.log.notify()  # wake pollers of the old world: their sessions are gone
        self.spec, self.world = spec, world
        self.log = EventLog()
        self.logins = Logins(self.settings.qr_ttl)
        self.media = MediaStore()
        self.sent = SentLog()
        self.pending_invites: list[tuple[str, str]] = []  # (group id, person id) when invite_accept is manual
        # ClientMsgId → MsgID: a send repeated with the same ClientMsgId is the same message (the web client's
        # retries rely on this), answered with the first MsgID and not delivered again.
        self.client_msg_ids: dict[str, str] = {}
        self.limiter = rate_limit or RateLimiter()
        self.faults = Faults()
        self.groups_created: deque[float] = deque()  # monotonic times, for settings.groups_per_hour

    # -- helpers shared by the protocol and the control API ------------------------------------------
    def delivered_before(self, msg: dict) -> str | None:
        """The MsgID of an earlier send with this message's ClientMsgId, if any (only with the friendly setting:
        nothing recorded shows the real web service deduplicating)."""
        if not self.settings.dedupe_client_msg_id:
            return None
        client_id = str(msg.get("ClientMsgId") or "")
        return self.client_msg_ids.get(client_id) if client_id else None

    def remember_delivery(self, msg: dict, msg_id: str) -> None:
        client_id = str(msg.get("ClientMsgId") or "")
        if client_id:
            self.client_msg_ids[client_id] = msg_id

    def group_creation_allowed(self) -> bool:
        limit = self.settings.groups_per_hour
        if not limit:
            return True
        now = time.monotonic()
        while self.groups_created and now - self.groups_created[0] > 3600:
            self.groups_created.popleft()
        return len(self.groups_created) < limit

    def group_created(self) -> None:
        self.groups_created.append(time.monotonic())

    @property
    def w(self) -> World:
        return self.world

    def push(self, msg_type: int, from_id: str, to_id: str, **fields: Any) -> Message:
        msg = Message(msg_id=next_msg_id(), msg_type=msg_type, from_id=from_id, to_id=to_id, **fields)
        self.log.append(msg)
        return msg

    def changed(self, entity_id: str, deleted: bool = False) -> None:
        self.log.append(ContactChange(entity_id, deleted))

    def group_note(self, group: Group, text: str) -> Message:
        return self.push(10000, group.id, SELF_ID, text=text)

    def join_group(self, group: Group, person_ids: list[str], note: str) -> None:
        group.member_ids.extend(p for p in person_ids if not group.has(p))
        self.group_note(group, note)
        self.changed(group.id)

    def leave_group(self, group: Group, person_ids: list[str], note: str | None = None) -> None:
        group.member_ids[:] = [m for m in group.member_ids if m not in person_ids]
        if group.owner_id in person_ids and group.member_ids:
            group.owner_id = group.member_ids[0]  # ownership passes on, so the owner is always a member
        if note:
            self.group_note(group, note)
        if SELF_ID in person_ids:
            self.changed(group.id, deleted=True)
        else:
            self.changed(group.id)

    def record(self, kind: str, to_id: str = "", session: Session | None = None, **fields: Any) -> dict[str, Any]:
        """An entry in /_sandbox/sent, with the target resolved to stable names."""
        target: dict[str, Any] = {}
        if session is not None and session.variant != "pad":
            # What the web client did is synced back to it: its next idle synccheck answers selector 3 at once,
            # with nothing new to fetch (ItChat issue 451: "selector=3 right after sending", ended by a webwxsync).
            session.selector_3_due = True
        if to_id:
            session = session or self.logins.current()
            target = {"to": self.world.display_name(to_id),
                      "to_kind": _kind_of(self.world, to_id),
                      "to_user_name": session.name_of(to_id) if session else ""}
        return self.sent.record(kind, **target, **fields)


def _kind_of(world: World, entity_id: str) -> str:
    if entity_id in world.groups:
        return "group"
    if entity_id in world.mps:
        return "mp"
    if entity_id in world.people:
        return "self" if entity_id == SELF_ID else "friend" if world.people[entity_id].is_friend else "stranger"
    return entity_id  # filehelper
