"""Fast lookups of chats by UserName, for handling every message without rebuilding wxpy objects.

wxpy's Message.chat / .sender build Chat objects for every friend and group on each access, which costs
milliseconds per message on a large account. The archive only needs kind, name and puid of the chat and the
speaker, which itchat's own lists and wxpy's puid map already hold.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from libs.emoji_markup import normalize_emoji


@dataclass(frozen=True)
class ChatInfo:
    kind: str  # friend | group | mp | self
    user_name: str
    name: str
    puid: str | None


class ChatDirectory:
    def __init__(self, bot) -> None:
        self.bot = bot
        self._by_user_name: dict[str, ChatInfo] = {}
        self._sizes: tuple[int, int, int] = (-1, -1, -1)

    def _refresh_if_changed(self) -> None:
        core = self.bot.core
        sizes = (len(core.memberList), len(core.chatroomList), len(core.mpList))
        if sizes == self._sizes:
            return
        index: dict[str, ChatInfo] = {}
        for kind, rows in (("friend", core.memberList), ("group", core.chatroomList), ("mp", core.mpList)):
            for row in rows:
                name = row.get("RemarkName") or row.get("NickName") or ""
                index[row["UserName"]] = ChatInfo(kind, row["UserName"], normalize_emoji(name), None)
        self._by_user_name, self._sizes = index, sizes

    def chat(self, user_name: str, fallback) -> ChatInfo:
        """Info for a chat; `fallback()` returns the wxpy Chat object when the lists don't know it (rare)."""
        me = self.bot.self
        if user_name == me.user_name:
            return ChatInfo("self", user_name, me.name or "", me.puid)
        self._refresh_if_changed()
        info = self._by_user_name.get(user_name)
        if info is None:
            chat = fallback()
            kind = "group" if user_name.startswith("@@") else "friend"
            return ChatInfo(kind, user_name, normalize_emoji(getattr(chat, "name", "") or ""), self.puid_of(chat))
        if info.puid is None:
            puid = self._known_puid(user_name) or self.puid_of(fallback())
            info = ChatInfo(info.kind, info.user_name, info.name, puid)
            self._by_user_name[user_name] = info
        return info

    def _known_puid(self, user_name: str) -> str | None:
        puid_map = self.bot.puid_map
        return puid_map.user_names.get(user_name) if puid_map is not None else None

    def member_puid(self, user_name: str, fallback) -> str | None:
        """A group member's puid: from the puid map when known, else through wxpy's Member object."""
        return self._known_puid(user_name) or self.puid_of(fallback())

    @staticmethod
    def puid_of(chat) -> str | None:
        try:
            return chat.puid if chat is not None else None
        except Exception:  # wxpy raises when the chat has no user_name/nick_name to derive a puid from
            return None


class WxpyChats:
    """wxpy Chat objects by UserName, found as wxpy's Message._get_chat_by_user_name finds them (groups for "@@"
    names, else friends, then MPs; wxpy's filter of "shadow" groups included), but built once per change of
    itchat's lists instead of on every lookup.

    wxpy looks the chat up in Message.__init__ (so once per message before any handler runs) and again on each
    msg.chat / msg.sender, building a Friend or Group for every contact each time — and its `if not chat` then
    builds every Member of a group (Group.__len__). A wxpy Chat only wraps itchat's raw dict, which itchat updates
    in place, so a Chat built once stays current; a list that is replaced or grows is noticed by its id and length.
    """

    def __init__(self, bot) -> None:
        self.bot = weakref.proxy(bot)
        self._key: tuple = ()
        self._groups: dict[str, object] = {}
        self._others: dict[str, object] = {}
        self._missed: set[str] = set()

    def _lists_key(self) -> tuple:
        core = self.bot.core
        return tuple((id(rows), len(rows)) for rows in (core.memberList, core.chatroomList, core.mpList))

    def _rebuild(self, key: tuple) -> None:
        groups = {group.user_name: group for group in self.bot.groups()}
        others = {mp.user_name: mp for mp in self.bot.mps()}
        others.update({friend.user_name: friend for friend in self.bot.friends()})  # a friend wins, as in wxpy
        self._groups, self._others, self._key, self._missed = groups, others, key, set()

    def _lookup(self, user_name: str):
        return (self._groups if user_name.startswith("@@") else self._others).get(user_name)

    def find(self, user_name: str | None):
        """The Chat, or None when wxpy would not find one either."""
        if not user_name:
            return None
        key = self._lists_key()
        fresh = key != self._key
        if fresh:
            self._rebuild(key)
        chat = self._lookup(user_name)
        if chat is None and user_name not in self._missed:
            if not fresh:  # a contact removed and another added leave the lengths alone: look again, once per name
                self._rebuild(key)
                chat = self._lookup(user_name)
            if chat is None:
                self._missed.add(user_name)
        return chat
