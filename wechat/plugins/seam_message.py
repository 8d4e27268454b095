"""What a plugin gets on a seam driver: `SeamMessage`, the neutral event (`msg.event`, drivers.types.MessageEvent)
with the handful of wxpy-style attributes the project's plugins read (text, type, chat.puid/name, member, is_at,
bot.self.name, id). A community plugin that uses more of wxpy (msg.reply, msg.get_file, chats given as wxpy
classes) needs the itchat driver; see docs/PLUGINS.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.types import MessageEvent, MessageKind

# The wxpy type names plugins filter on (`msg_types`), by neutral kind.
WXPY_TYPE = {MessageKind.TEXT: "Text", MessageKind.IMAGE: "Picture", MessageKind.VOICE: "Recording",
             MessageKind.VIDEO: "Video", MessageKind.EMOJI: "Picture", MessageKind.FILE: "Attachment",
             MessageKind.LINK: "Sharing", MessageKind.CARD: "Card", MessageKind.LOCATION: "Map",
             MessageKind.SYSTEM: "Note", MessageKind.OTHER: "Text"}


@dataclass(frozen=True)
class SeamChat:
    puid: str
    name: str
    kind: str  # friend | group | mp | stranger | special

    @property
    def nick_name(self) -> str:
        return self.name


@dataclass(frozen=True)
class SeamMember:
    puid: str
    name: str
    nick_name: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class SeamSelf:
    puid: str
    name: str
    nick_name: str


@dataclass(frozen=True)
class SeamBot:
    self: SeamSelf


@dataclass(frozen=True)
class SeamMessage:
    event: MessageEvent
    chat: SeamChat
    bot: SeamBot
    member: SeamMember | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.event.msg_id

    @property
    def text(self) -> str:
        return self.event.text

    @property
    def type(self) -> str:
        return WXPY_TYPE.get(self.event.kind, "Text")

    @property
    def is_at(self) -> bool:
        return self.event.mentions_self

    @property
    def url(self) -> str:
        return self.event.url

    @property
    def file_name(self) -> str:
        return self.event.file_name

    @property
    def sender(self) -> SeamChat | SeamMember:
        return self.member if self.member is not None else self.chat


def seam_message(event: MessageEvent, directory) -> SeamMessage:
    """Build the plugin's message from a seam event and the driver's directory (wechat/bot/seam.py)."""
    chat_name = directory.chat(event.chat_id, event.is_group)
    me = directory.me()
    member = None
    if event.is_group:
        name = directory.member_name(event.chat_id, event.sender_id)
        member = SeamMember(event.sender_id, name, name, name)
    return SeamMessage(event=event, chat=SeamChat(chat_name.id, chat_name.name, chat_name.kind),
                       bot=SeamBot(SeamSelf(me.id, me.nick_name, me.nick_name)), member=member)
