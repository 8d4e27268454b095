"""The sandbox's world: the bot account, the people it knows, its groups and MPs, kept in memory.

Entities have stable ids (``self``, ``p17``, ``g3``, ``m2``) that never leave the sandbox: clients only
ever see per-session random UserNames (see ``session.py``), like on the real service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SELF_ID = "self"
# Special accounts every real contact list has; itchat ignores them because they carry no '@'.
FILEHELPER = "filehelper"
FMESSAGE = "fmessage"
MAX_GROUP_MEMBERS = 500
INVITE_START_COUNT = 40


class WorldError(ValueError):
    """A request names something the world does not have (or more than one of it)."""


@dataclass(slots=True)
class Person:
    """The bot itself, a friend, or a stranger (group member who is not a friend, friend requester)."""

    id: str
    nick_name: str
    sex: int = 0
    province: str = ""
    city: str = ""
    signature: str = ""
    remark_name: str = ""
    is_friend: bool = False
    # Real WeChat sends some names with <span class="emoji emoji1f604"></span> instead of the character.
    emoji_markup: bool = False


@dataclass(slots=True)
class Mp:
    id: str
    nick_name: str
    signature: str = ""
    province: str = ""
    city: str = ""


@dataclass(slots=True)
class Group:
    id: str
    nick_name: str
    owner_id: str
    member_ids: list[str] = field(default_factory=list)
    display_names: dict[str, str] = field(default_factory=dict)
    # "Saved to contacts" on the phone: only these are in webwxgetcontact's list (ItChat issues 89, 440).
    saved: bool = False

    def has(self, person_id: str) -> bool:
        return person_id in self.member_ids


@dataclass(slots=True)
class FriendRequest:
    person_id: str
    text: str
    ticket: str


class World:
    """Entities plus lookups by stable name; mutations are plain methods so every caller keeps it consistent."""

    def __init__(self, account: Person, uin: int, web_login_refused: bool = False) -> None:
        self.uin = uin
        self.web_login_refused = web_login_refused
        self.people: dict[str, Person] = {SELF_ID: account}
        self.groups: dict[str, Group] = {}
        self.mps: dict[str, Mp] = {}
        self.friend_requests: dict[str, FriendRequest] = {}
        self._nick_index: dict[str, list[str]] = {account.nick_name: [SELF_ID]}
        self._next = 0

    @property
    def account(self) -> Person:
        return self.people[SELF_ID]

    def new_id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}{self._next}"

    # -- creation -------------------------------------------------------------------------------
    def add_person(self, person: Person) -> Person:
        self.people[person.id] = person
        self._nick_index.setdefault(person.nick_name, []).append(person.id)
        return person

    def rename_person(self, person: Person, nick_name: str) -> None:
        self._nick_index[person.nick_name].remove(person.id)
        person.nick_name = nick_name
        self._nick_index.setdefault(nick_name, []).append(person.id)

    def add_group(self, group: Group) -> Group:
        self.groups[group.id] = group
        return group

    def add_mp(self, mp: Mp) -> Mp:
        self.mps[mp.id] = mp
        return mp

    # -- lookups --------------------------------------------------------------------------------
    def friends(self) -> list[Person]:
        return [p for p in self.people.values() if p.is_friend]

    def people_named(self, nick_name: str) -> list[Person]:
        return [self.people[i] for i in self._nick_index.get(nick_name, ()) if i in self.people]

    def person(self, nick_name: str, *, within: Group | None = None, friends_only: bool = False) -> Person:
        """The one person with this nick name (within a group's members, or preferring friends)."""
        candidates = self.people_named(nick_name)
        if within is not None:
            candidates = [p for p in candidates if within.has(p.id)]
        else:
            known = [p for p in candidates if p.is_friend or p.id == SELF_ID]
            # A stranger may share a friend's nick name; a bare name then means the friend.
            if friends_only or (known and len(candidates) > 1):
                candidates = known
        if not candidates:
            where = f" in group {within.nick_name!r}" if within else ""
            raise WorldError(f"no {'friend' if friends_only else 'person'} named {nick_name!r}{where}")
        if len(candidates) > 1:
            raise WorldError(f"{len(candidates)} people are named {nick_name!r}; names must be unique")
        return candidates[0]

    def group(self, name: str) -> Group:
        found = [g for g in self.groups.values() if g.nick_name == name]
        if len(found) != 1:
            raise WorldError(f"{'no' if not found else len(found)} groups named {name!r}")
        return found[0]

    def mp(self, name: str) -> Mp:
        found = [m for m in self.mps.values() if m.nick_name == name]
        if len(found) != 1:
            raise WorldError(f"{'no' if not found else len(found)} MPs named {name!r}")
        return found[0]

    def entity(self, entity_id: str) -> Person | Group | Mp | None:
        return self.people.get(entity_id) or self.groups.get(entity_id) or self.mps.get(entity_id)

    def display_name(self, entity_id: str) -> str:
        """The stable name reported in /_sandbox/sent (nick name, group name, or the special account)."""
        entity = self.entity(entity_id)
        return entity.nick_name if entity is not None else entity_id

    def counts(self) -> dict[str, int]:
        return {
            "friends": sum(1 for p in self.people.values() if p.is_friend),
            "groups": len(self.groups),
            "members": sum(len(g.member_ids) for g in self.groups.values()),
            "mps": len(self.mps),
            "people": len(self.people),
        }
