"""Auth keys and logins of the gateway face.

A key (``?key=``) names one device slot, as on WeChatPadPro: the admin key mints keys
(``/admin/GenAuthKey1``), a key logs in by QR and then owns a session. Keys survive ``/_sandbox/reset``
(like the operator's configuration); sessions do not (a reset kicks every login).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sandbox.gateway.ids import WxidIndex, wxid_of
from sandbox.gateway.render import status_notify
from sandbox.session import Session
from sandbox.world import World

DEFAULT_ADMIN_KEY = "sandbox-admin-key"
DEFAULT_KEY = "sandbox-gateway-key"  # pre-issued, so a demo can be configured without minting one
VARIANT = "pad"


class GatewaySession(Session):
    """A gateway login: the same session object the web face uses, but naming entities by stable wxids."""

    def __init__(self, world: World, index: WxidIndex, position: int) -> None:
        super().__init__(VARIANT, world.uin, position)
        self.login_position = position  # where this login's messages start (an empty sync key reads from here)
        self.world = world
        self.index = index
        self.status_notify_due = True  # the phone's type-51 notify (recent chats) comes first after the login

    def take_status_notify(self) -> dict | None:
        """The status notify, once per login (render.status_notify), to whichever channel reads first."""
        if not self.status_notify_due:
            return None
        self.status_notify_due = False
        return status_notify(self.world)

    def name_of(self, entity_id: str) -> str:
        return wxid_of(self.world, entity_id)

    def id_of(self, user_name: str) -> str | None:
        return self.index.entity_of(self.world, user_name)


@dataclass
class KeyState:
    attempt_uuid: str = ""
    session: GatewaySession | None = None


@dataclass
class GatewayState:
    admin_key: str = DEFAULT_ADMIN_KEY
    keys: dict[str, KeyState] = field(default_factory=lambda: {DEFAULT_KEY: KeyState()})
    index: WxidIndex = field(default_factory=WxidIndex)
    announcements: dict[str, str] = field(default_factory=dict)  # group id → text
    # media messages of the log by short and full id (sandbox/gateway/media.py indexes them as the log grows)
    media_log: list | None = None
    media_scanned: int = 0
    media_msgs: dict[int, Any] = field(default_factory=dict)

    def mint(self, count: int) -> list[str]:
        new = [secrets.token_urlsafe(12) for _ in range(count)]
        self.keys.update((k, KeyState()) for k in new)
        return new
