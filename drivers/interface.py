"""The one interface the product uses to talk to WeChat, whatever the protocol underneath.

Commands raise the errors of ``drivers.types`` (``Unsupported`` when the capability is missing,
``NotLoggedIn``, ``RateLimited``, ``Unavailable``, ``Rejected``); events come back as plain data from
``poll_events``, which the listener calls in a loop (no driver threads to supervise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO, Protocol, runtime_checkable

from drivers.types import (
    Capability,
    Contact,
    Event,
    FriendRequestEvent,
    Group,
    IdStability,
    LoginQr,
    LoginState,
    Member,
    Mention,
    MessageEvent,
    SelfInfo,
    SendResult,
    Unsupported,
)


@runtime_checkable
class Driver(Protocol):
    name: str
    capabilities: Capability
    id_stability: IdStability

    # -- login ------------------------------------------------------------------------------------------
    def login_qr(self) -> LoginQr:
        """Start a QR login; show ``payload`` as a QR code to the owner."""

    def login_state(self) -> LoginState:
        """Where the login stands (polls the service; cheap enough to call every second)."""

    def logout(self) -> None: ...

    # -- who and what ----------------------------------------------------------------------------------
    def self_info(self) -> SelfInfo: ...

    def friends(self) -> list[Contact]: ...

    def groups(self) -> list[Group]:
        """The groups the bot is in (members may be empty: use ``group_members``)."""

    def group_members(self, group_id: str) -> list[Member]: ...

    def mps(self) -> list[Contact]: ...

    # -- events ----------------------------------------------------------------------------------------
    def poll_events(self, timeout: float) -> list[Event]:
        """Events that arrived within ``timeout`` seconds (possibly none); each message once.

        Raises ``Unavailable`` while the service cannot be reached (the product shows WeChat as degraded and
        keeps polling; the driver keeps its own reconnect back-off), never for a single dropped connection.

        Optional members of a driver whose service hands each message out once (the listener uses them when
        present): ``resume_from(checkpoint: str | None)`` before the first poll (the checkpoint last acknowledged,
        None when none was kept) and ``acknowledge() -> str | None`` after everything polled is stored (the new
        checkpoint to keep, None when it did not move); after a crash the driver reads again what came after the
        checkpoint, so the product deduplicates events by ``msg_id``."""

    def download_media(self, event: MessageEvent, sink: BinaryIO, max_bytes: int) -> int:
        """Write the media of ``event`` (one with a ``media_ref``) to ``sink``; returns the bytes written.

        Never writes more than ``max_bytes``: ``MediaTooLarge`` as soon as the declared or received size exceeds
        it (the caller discards what was written). ``Unsupported`` without ``DOWNLOAD_MEDIA`` or a ``media_ref``."""

    # -- commands --------------------------------------------------------------------------------------
    def send_text(self, to_id: str, text: str, mentions: Sequence[Mention] = ()) -> SendResult: ...

    def send_image(self, to_id: str, data: bytes, file_name: str = "image.png") -> SendResult: ...

    def send_file(self, to_id: str, data: bytes, file_name: str) -> SendResult: ...

    def send_emoji(self, to_id: str, md5: str, size: int) -> SendResult: ...

    def accept_friend(self, request: FriendRequestEvent) -> None: ...

    def add_friend(self, user_id: str, text: str = "") -> None: ...

    def create_group(self, name: str, member_ids: Sequence[str]) -> str:
        """Create a group with ``member_ids`` (at least two friends); returns its id."""

    def rename_group(self, group_id: str, name: str) -> None: ...

    def add_members(self, group_id: str, member_ids: Sequence[str]) -> None: ...

    def invite_members(self, group_id: str, member_ids: Sequence[str]) -> None: ...

    def remove_members(self, group_id: str, member_ids: Sequence[str]) -> None: ...

    def set_announcement(self, group_id: str, text: str) -> None: ...

    def set_remark(self, user_id: str, remark: str) -> None: ...

    def close(self) -> None:
        """Release connections (not a logout: the session stays with the service)."""


def require(driver: Driver, capability: Capability) -> None:
    """Raise ``Unsupported`` unless ``driver`` has ``capability`` (one check for API, UI and automation)."""
    if capability not in driver.capabilities:
        raise Unsupported(f"the {driver.name} driver cannot {capability.name.lower().replace('_', ' ')}")
