"""The seam's plain data: what crosses between a driver and the product.

Everything here is frozen and built from builtins only, so events can be queued, pickled, logged and
compared without dragging a protocol's objects along. Ids are the driver's own (see ``IdStability``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# Every driver there is, by the name WECHAT_DRIVER and an account row use (wechat/bot/driver_factory.py builds them).
DRIVER_NAMES = ("itchat", "padpro")


class Capability(enum.Flag):
    """What a driver can do; the product greys out, refuses (409) or skips what is missing."""

    NONE = 0
    SEND_TEXT = enum.auto()
    SEND_MENTION = enum.auto()  # a real @mention (the member is notified), not just "@name" text
    SEND_IMAGE = enum.auto()
    SEND_FILE = enum.auto()
    SEND_EMOJI = enum.auto()
    ACCEPT_FRIEND = enum.auto()
    ADD_FRIEND = enum.auto()
    CREATE_GROUP = enum.auto()
    RENAME_GROUP = enum.auto()
    ADD_MEMBERS = enum.auto()
    INVITE_MEMBERS = enum.auto()
    REMOVE_MEMBERS = enum.auto()
    ANNOUNCEMENT = enum.auto()
    SET_REMARK = enum.auto()
    RECEIVE_RECALLS = enum.auto()
    DOWNLOAD_MEDIA = enum.auto()  # a received image/voice/video/file's bytes (``Driver.download_media``)
    AVATARS = enum.auto()  # contacts and groups carry an ``avatar_url`` the product may fetch


class IdStability(enum.Enum):
    """STABLE: ids survive logins (gateway wxids). PER_LOGIN: ids change each login and the product
    must map them to its own stable ids (itchat's UserNames → the puid map)."""

    STABLE = "stable"
    PER_LOGIN = "per_login"


class LoginState(enum.Enum):
    LOGGED_OUT = "logged_out"
    WAITING = "waiting"  # QR code shown, not scanned
    SCANNED = "scanned"  # scanned, waiting for the phone to confirm
    LOGGED_IN = "logged_in"
    EXPIRED = "expired"  # the QR code timed out: ask for a new one


class ContactKind(enum.Enum):
    FRIEND = "friend"
    GROUP = "group"
    MP = "mp"
    STRANGER = "stranger"
    SPECIAL = "special"  # filehelper, fmessage, weixin, …


class MessageKind(enum.Enum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    EMOJI = "emoji"
    FILE = "file"
    LINK = "link"  # shared link or MP article
    CARD = "card"
    LOCATION = "location"
    SYSTEM = "system"  # a note the service wrote (joins, leaves, renames, "you added X")
    OTHER = "other"


class GroupNoteKind(enum.Enum):
    JOIN = "join"
    LEAVE = "leave"  # removed by someone or left (WeChat only tells about removals)
    RENAME = "rename"
    OTHER = "other"


class GroupLeftReason(enum.Enum):
    """Why the service says the bot is out of a group (the product's left reasons start from these)."""

    REMOVED = "removed"  # removed, or the group left the account's contacts with the bot not a member
    DISSOLVED = "dissolved"  # the owner dissolved the group


@dataclass(frozen=True, slots=True)
class LoginQr:
    """A QR login attempt: ``payload`` is the text to encode in the QR image shown to the owner."""

    uuid: str
    payload: str


@dataclass(frozen=True, slots=True)
class SelfInfo:
    id: str
    nick_name: str
    alias: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """A friend, MP or stranger."""

    id: str
    nick_name: str
    kind: ContactKind = ContactKind.FRIEND
    remark_name: str = ""
    alias: str = ""
    sex: int = 0
    province: str = ""
    city: str = ""
    signature: str = ""
    avatar_url: str = ""  # as the service gave it: hostile (the product fetches only from the service's own origin)


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    nick_name: str
    display_name: str = ""  # the member's name card in this group


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    owner_id: str = ""
    member_count: int = 0
    members: tuple[Member, ...] = ()  # empty when the listing did not include members
    avatar_url: str = ""  # as for Contact.avatar_url


@dataclass(frozen=True, slots=True)
class Mention:
    """One @mention in an outgoing text: the member's id and the name typed after '@'."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SendResult:
    msg_id: str  # the server's id for the sent message ('' when the protocol does not report one)


# -- events: what a driver reports ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A message in a chat. ``chat_id`` is the group for group messages, else the other party;
    ``sender_id`` is who wrote it (the bot's own id for messages sent from the owner's phone)."""

    msg_id: str
    kind: MessageKind
    chat_id: str
    sender_id: str
    is_group: bool
    text: str = ""  # text, or a readable summary (title for links/files)
    create_time: int = 0
    mentions_self: bool = False
    mentioned_ids: tuple[str, ...] = ()
    file_name: str = ""
    file_size: int = 0
    url: str = ""
    md5: str = ""
    raw_type: int = 0  # the protocol's message type, for diagnostics
    app_type: int = 0  # the appmsg <type> for 49 messages
    raw: str = ""  # the protocol's content (XML for media) as received, for archiving
    # What the driver needs to fetch the media later (``Driver.download_media``): opaque to the product, made by
    # the driver from the message; '' when the message has no media the driver can fetch.
    media_ref: str = ""
    articles: tuple[tuple[str, str], ...] = ()  # (title, url) of each article an MP pushed (): not parsed
    native: Any = field(default=None, compare=False, repr=False, hash=False)  # see LOCAL_FIELDS


# Fields that live only in the process that made the event: the event spool leaves them out, equality ignores them.
# ``native`` is the protocol's own message object, for plugins written against it (the itchat driver's wxpy Message,
# for the community ``export()`` plugins); None on other drivers.
LOCAL_FIELDS = frozenset({"native"})


@dataclass(frozen=True, slots=True)
class FriendRequestEvent:
    """Someone asked to be the bot's friend; ``ticket``/``encrypt_user``/``scene`` are what accepting needs."""

    msg_id: str
    user_id: str
    nick_name: str
    text: str = ""
    ticket: str = ""
    encrypt_user: str = ""
    scene: int = 0
    create_time: int = 0
    native: Any = field(default=None, compare=False, repr=False, hash=False)  # see LOCAL_FIELDS


@dataclass(frozen=True, slots=True)
class GroupNoteEvent:
    msg_id: str
    group_id: str
    kind: GroupNoteKind
    text: str
    member_names: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    create_time: int = 0
    native: Any = field(default=None, compare=False, repr=False, hash=False)  # see LOCAL_FIELDS


@dataclass(frozen=True, slots=True)
class RecallEvent:
    msg_id: str
    chat_id: str
    recalled_msg_id: str
    text: str = ""  # the service's note, e.g. '"Bob" 撤回了一条消息'
    create_time: int = 0
    native: Any = field(default=None, compare=False, repr=False, hash=False)  # see LOCAL_FIELDS


@dataclass(frozen=True, slots=True)
class GroupLeftEvent:
    """Contact-level evidence that the bot is out of a group (no message of its own): the sync deleted the group
    from the account's contacts (DelContacts) or changed it with a member list that lacks the bot (ModContacts).
    Weaker than a note: the product records it only for a group not already marked left."""

    group_id: str
    reason: GroupLeftReason = GroupLeftReason.REMOVED
    create_time: int = 0


@dataclass(frozen=True, slots=True)
class ChatsListedEvent:
    """The phone listed chats the bot may hold on no contact list (web WeChat's type-51 status notify names the
    chats open on the phone, among them groups not saved to contacts): ``groups`` are (id, name) pairs. Weaker
    evidence than a message: the product learns the groups but does not treat them as active."""

    msg_id: str
    groups: tuple[tuple[str, str], ...] = ()
    create_time: int = 0


@dataclass(frozen=True, slots=True)
class LoginStateEvent:
    state: LoginState


@dataclass(frozen=True, slots=True)
class LogoutEvent:
    reason: str = ""


Event = (MessageEvent | FriendRequestEvent | GroupNoteEvent | RecallEvent | ChatsListedEvent | GroupLeftEvent
         | LoginStateEvent | LogoutEvent)


# -- errors: what a driver raises --------------------------------------------------------------------------
class DriverError(Exception):
    """A command failed; ``message`` is safe to show (it never contains credentials)."""

    def __init__(self, message: str, code: int | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}

    def __reduce__(self):
        # Errors cross process boundaries (Celery results, logs): keep code and details when pickled.
        return type(self), (self.message, self.code, self.details)

    def __str__(self) -> str:
        return self.message if self.code is None else f"{self.message} (code {self.code})"


class Unsupported(DriverError):
    """The driver lacks the capability (the API answers 409)."""


class NotLoggedIn(DriverError):
    """The session is gone (logged out, kicked, never logged in)."""


class RateLimited(DriverError):
    """The service asks to slow down: back off like today's 1205 answers."""


class Unavailable(DriverError):
    """The service (or gateway) cannot be reached or answered garbage; retry later."""


class Rejected(DriverError):
    """The service refused this command (unknown recipient, not the owner, …); retrying will not help."""


class MediaTooLarge(DriverError):
    """A download would exceed the bytes it may take; ``size`` is the media's size when it was declared."""

    def __init__(self, message: str = "", code: int | None = None, details: dict | None = None) -> None:
        super().__init__(message or "media larger than allowed", code, details)
        self.limit = int(self.details.get("limit", 0))
        self.size = self.details.get("size")

    @classmethod
    def over(cls, limit: int, size: int | None = None) -> MediaTooLarge:
        declared = f" ({size} bytes)" if size is not None else ""
        return cls(f"media larger than {limit} bytes{declared}", details={"limit": limit, "size": size})
