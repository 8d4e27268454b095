"""The product's side of the driver seam: telling a seam driver from the wxpy bot, and naming chats by id.

The listener hands the itchat driver a wxpy Bot and the dispatcher wraps it (wechat/bot/dispatch.py); a few places
that may still hold the Bot ask `is_driver` here, in one way. Commands and the sync take the
driver (wechat/bot/driver_factory.seam_driver).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from drivers.interface import Driver
from drivers.types import (
    ChatsListedEvent,
    Contact,
    DriverError,
    FriendRequestEvent,
    Group,
    GroupLeftEvent,
    GroupNoteEvent,
    LoginStateEvent,
    LogoutEvent,
    Member,
    MessageEvent,
    RecallEvent,
    SelfInfo,
)

EVENT_TYPES = (MessageEvent, FriendRequestEvent, GroupNoteEvent, RecallEvent, ChatsListedEvent, GroupLeftEvent,
               LoginStateEvent, LogoutEvent)
NAMES_MAX_AGE = 600.0  # seconds before an unknown id makes the directory list the contacts again
MISS_REFRESH_GAP = 30.0  # at most one listing per this many seconds for ids nobody knows (hostile ids are free)


def is_driver(connection: Any) -> bool:
    """A seam driver (drivers.interface.Driver), as opposed to the itchat path's wxpy Bot.

    Asked of the class, not the instance: isinstance() with a runtime Protocol reads every member off the object,
    and a wxpy Bot (or anything standing in for one) must not be touched just to learn which table to use."""
    kind = type(connection)
    return all(callable(getattr(kind, name, None)) for name in ("poll_events", "login_qr"))


def is_event(item: Any) -> bool:
    return isinstance(item, EVENT_TYPES)


@dataclass(frozen=True)
class ChatName:
    id: str
    name: str
    kind: str  # friend | group | mp | stranger | special, as the archive's chat_kind


class SeamDirectory:
    """Names and kinds of chats by the driver's id, from its listings (refreshed when an id is unknown, at most
    every MISS_REFRESH_GAP seconds). Thread-safe: the listener's loop and bot commands share it."""

    def __init__(self, driver: Driver, clock=time.monotonic) -> None:
        self.driver = driver
        self.clock = clock
        self._lock = threading.Lock()
        self._chats: dict[str, ChatName] = {}
        self._groups: dict[str, Group] = {}
        self._loaded_at: float | None = None
        self._me: SelfInfo | None = None
        # group id -> (listed at, its members, the same by member id: every archived group message asks for a name)
        self._members: dict[str, tuple[float, list[Member], dict[str, Member]]] = {}
        self._learning: dict[str, list[Any]] = {}  # lists the sync made since the last forget(), by kind
        self._generation = 0  # forget() counts up: a list begun before it may miss what a command just changed
        # The last listing a miss made: the lists the sync hands over do not count, so the first unknown id after
        # a sync still lists (a group no list showed that just spoke is in the driver's lists by now).
        self._miss_listed_at: float | None = None

    def me(self) -> SelfInfo:
        if self._me is None:
            self._me = self.driver.self_info()
        return self._me

    def refresh(self) -> None:
        groups = self.driver.groups()
        self._install([*self.driver.friends(), *self.driver.mps()], groups)

    def _install(self, contacts: list[Contact], groups: list[Group]) -> None:
        chats: dict[str, ChatName] = {}
        for contact in contacts:
            chats[contact.id] = ChatName(contact.id, display_name(contact), contact.kind.value)
        for group in groups:
            chats[group.id] = ChatName(group.id, group.name, "group")
        with self._lock:
            self._chats, self._groups = chats, {group.id: group for group in groups}
            self._loaded_at = self.clock()

    def generation(self) -> int:
        """Taken before a listing the sync hands over: `learned` drops a list begun before the last forget()."""
        return self._generation

    def learned(self, kind: str, listed: list[Any], generation: int | None = None) -> None:
        """A list the sync made anyway (wechat/bot/snapshot.py; kind: friends, mps or groups). Once all three came
        in since the last forget(), they are this directory's names: the first message after a sync lists nothing
        again (with fifty accounts logging in at once, those second listings were seconds of every first
        message's latency). A list begun before a forget() (`generation`) is dropped: a friend a command just
        accepted may be missing from it, and installed it would hide that friend until the next miss may list."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            self._learning[kind] = list(listed)
            complete = all(name in self._learning for name in ("friends", "mps", "groups"))
            learning = self._learning if complete else {}
            if complete:
                self._learning = {}
        if complete:
            self._install([*learning["friends"], *learning["mps"]], learning["groups"])

    def learned_members(self, group_id: str, members: list[Member], generation: int | None = None) -> None:
        """A group's members the sync listed anyway: kept as this directory's listing of them (unless begun before
        the last forget(), as for `learned`)."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            self._members[group_id] = (self.clock(), list(members), {member.id: member for member in members})

    def _may_list_for_miss(self) -> bool:
        """Whether an unknown id may list again (at most once per MISS_REFRESH_GAP)."""
        now = self.clock()
        if self._miss_listed_at is not None and now - self._miss_listed_at <= MISS_REFRESH_GAP:
            return False
        self._miss_listed_at = now
        return True

    def chat(self, chat_id: str, is_group: bool = False) -> ChatName:
        found = self._chats.get(chat_id)
        if found is None and self._may_list_for_miss():
            self.refresh()
            found = self._chats.get(chat_id)
        if found is None:
            kind = "group" if is_group or chat_id.endswith("@chatroom") else "stranger"
            return ChatName(chat_id, "", kind)
        return found

    def group(self, group_id: str) -> Group | None:
        if group_id not in self._groups and self._may_list_for_miss():
            self.refresh()
        found = self._groups.get(group_id)
        if found is None and group_id.endswith("@chatroom"):
            found = self._unlisted_group(group_id)
        return found

    def _unlisted_group(self, group_id: str) -> Group | None:
        """A group no listing shows (not saved to contacts, quiet since this driver started; the database still
        knows it): asked for by id. A driver that learns groups this way lists it from then on."""
        try:
            members = self.driver.group_members(group_id)
        except DriverError:
            return None
        if not any(member.id == self.me().id for member in members):
            return None  # not (or no longer) the bot's group
        self.refresh()
        found = self._groups.get(group_id) or Group(id=group_id, name="", member_count=len(members),
                                                    members=tuple(members))
        with self._lock:
            self._groups[group_id] = found
        return found

    def groups(self) -> list[Group]:
        if self._loaded_at is None or self.clock() - self._loaded_at > NAMES_MAX_AGE:
            self.refresh()
        return list(self._groups.values())

    def members(self, group_id: str, fresh: bool = False) -> list[Member]:
        """A group's members (listed once per group, again with `fresh` or after NAMES_MAX_AGE)."""
        return self._listed(group_id, fresh)[1]

    def _listed(self, group_id: str, fresh: bool = False) -> tuple[float, list[Member], dict[str, Member]]:
        cached = self._members.get(group_id)
        if cached is None or fresh or self.clock() - cached[0] > NAMES_MAX_AGE:
            members = self.driver.group_members(group_id)
            cached = (self.clock(), members, {member.id: member for member in members})
            with self._lock:
                self._members[group_id] = cached
        return cached

    def member_anywhere(self, member_id: str) -> Member | None:
        """``member_id`` as a member of one of the bot's groups: the groups whose members are listed already first,
        then the others (listed once each, kept for NAMES_MAX_AGE), so a miss costs listings once, not each time."""
        groups = self.groups()
        listed = [group.id for group in groups if group.id in self._members]
        for group_id in [*listed, *(group.id for group in groups if group.id not in self._members)]:
            member = self._listed(group_id)[2].get(member_id)
            if member is not None:
                return member
        return None

    def member_name(self, group_id: str, member_id: str) -> str:
        member = self._listed(group_id)[2].get(member_id)
        return (member.display_name or member.nick_name) if member is not None else ""

    def forget(self) -> None:
        """After a command changed the lists (a new friend, a new group): list again on the next miss."""
        with self._lock:
            self._loaded_at = None
            self._members.clear()
            self._learning = {}
            self._miss_listed_at = None
            self._generation += 1


_directories: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_directories_lock = threading.Lock()


def directory_of(driver: Driver) -> SeamDirectory:
    """The one directory of a driver in this process (the listener's handlers and bot commands share it)."""
    with _directories_lock:
        found = _directories.get(driver)
        if found is None:
            found = _directories[driver] = SeamDirectory(driver)
        return found


def display_name(contact: Contact) -> str:
    return contact.remark_name or contact.nick_name or contact.id
