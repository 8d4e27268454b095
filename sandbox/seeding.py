"""Deterministic world building: the same parameters and seed always give the same world.

Names deliberately include emoji, real WeChat's emoji <span> markup and hostile strings so that
every consumer is exercised on them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.world import SELF_ID, Group, Mp, Person, World, WorldError

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "明", "超"]
LATIN = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Oscar", "Peggy"]
# Single code points only: itchat turns <span class="emoji emojiXXXX"> back into exactly these.
EMOJI = ["😄", "🍎", "🌟", "🎉", "🐱", "🔥", "🌈", "☀", "✌"]
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Robert'); DROP TABLE contacts;--",
    "{{7*7}}${7*7}",
    "&amp; &lt;b&gt;",
    "\u202eevil",
]
PLACES = [("广东", "深圳"), ("广东", "广州"), ("北京", "海淀"), ("上海", "浦东"), ("浙江", "杭州"),
          ("四川", "成都"), ("", "")]
SIGNATURES = ["", "人生苦短，我用 Python", "Stay hungry 🌟", "<b>not bold</b>", "在路上"]
GROUP_TOPICS = ["Python", "Flask交流", "摄影", "跑步", "读书会", "吃货", "校友", "Python✌"]
MP_NAMES = ["Python之禅", "Flask中文网", "少数派", "果壳", "GitHub Daily", "开源中国"]
FRIEND_SHARE = 0.4  # fraction of a seeded group's members who are the bot's friends


@dataclass
class WorldSpec:
    """Everything /_sandbox/reset and the CLI accept; explicit entities come on top of the seeded ones."""

    friends: int = 20
    groups: int = 3
    members: int = 30
    mps: int = 3
    seed: int = 1
    # Share of the seeded groups saved to contacts (the others reach a client only through webwxinit's recent
    # chats, a status notify or a message, as on the real service).
    saved_groups: float = 0.5
    account: dict[str, Any] = field(default_factory=dict)
    explicit_friends: list[Any] = field(default_factory=list)
    explicit_groups: list[dict[str, Any]] = field(default_factory=list)
    explicit_mps: list[Any] = field(default_factory=list)

    def validate(self) -> None:
        for name in ("friends", "groups", "members", "mps"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise WorldError(f"{name} must be a non-negative integer")
        if not isinstance(self.saved_groups, (int, float)) or not 0 <= self.saved_groups <= 1:
            raise WorldError("saved_groups must be a share between 0 and 1")
        if self.members > 500:
            raise WorldError("members must be at most 500 (the group cap)")
        if self.friends > 100_000 or self.groups > 5_000:
            raise WorldError("world too large")


class _Names:
    """Unique nick names drawn from the seeded generator."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng, self.taken = rng, taken

    def person(self) -> tuple[str, bool]:
        rng = self.rng
        base = rng.choice(SURNAMES) + rng.choice(GIVEN) if rng.random() < 0.7 else rng.choice(LATIN)
        markup = False
        if rng.random() < 0.15:
            base += rng.choice(EMOJI)
            markup = rng.random() < 0.5
        return self.unique(base), markup

    def unique(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name


def _person_from(world: World, spec: Any, *, is_friend: bool, names: _Names) -> Person:
    data = {"nick_name": spec} if isinstance(spec, str) else dict(spec)
    if not isinstance(data.get("nick_name"), str) or not data["nick_name"]:
        raise WorldError("every explicit friend needs a non-empty nick_name")
    names.taken.add(data["nick_name"])
    return world.add_person(Person(
        id=world.new_id("p"), nick_name=data["nick_name"], sex=int(data.get("sex", 0)),
        province=str(data.get("province", "")), city=str(data.get("city", "")),
        signature=str(data.get("signature", "")), remark_name=str(data.get("remark_name", "")),
        is_friend=is_friend, emoji_markup=bool(data.get("emoji_markup", False))))


def _random_person(world: World, rng: random.Random, names: _Names, *, is_friend: bool) -> Person:
    nick, markup = names.person()
    province, city = rng.choice(PLACES)
    return world.add_person(Person(
        id=world.new_id("p"), nick_name=nick, sex=rng.choice((0, 1, 1, 2, 2)), province=province,
        city=city, signature=rng.choice(SIGNATURES), is_friend=is_friend, emoji_markup=markup))


def build_world(spec: WorldSpec) -> World:
    """Build the world for ``spec``; raises WorldError on bad explicit entities."""
    spec.validate()
    rng = random.Random(spec.seed)
    acc = spec.account
    account = Person(id=SELF_ID, nick_name=str(acc.get("nick_name", "wxpy机器人")), sex=int(acc.get("sex", 1)),
                     province="广东", city="深圳", signature=str(acc.get("signature", "我是一个机器人")))
    world = World(account, uin=int(acc.get("uin", 2_000_000_000 + rng.randrange(10**8))),
                  web_login_refused=bool(acc.get("web_login_refused", False)))
    names = _Names(rng, {account.nick_name})
    # Explicit names win: seeded groups and MPs must not collide with the ones a test asks for.
    names.taken.update(str(g.get("name")) for g in spec.explicit_groups if isinstance(g, dict))
    names.taken.update(str(m if isinstance(m, str) else dict(m).get("nick_name")) for m in spec.explicit_mps)
    for spec_friend in spec.explicit_friends:
        _person_from(world, spec_friend, is_friend=True, names=names)
    friends = [_random_person(world, rng, names, is_friend=True) for _ in range(spec.friends)]
    # Hostile names go to the first few seeded friends, so every seeded world has them.
    for person, hostile in zip(friends, HOSTILE, strict=False):
        world.rename_person(person, names.unique(hostile))
    all_friends = world.friends()

    strangers: list[Person] = []

    def strangers_for(count: int) -> list[Person]:
        # Strangers are shared between groups, as real group members are.
        pool_size = max(count, int(spec.groups * spec.members * (1 - FRIEND_SHARE) / 2))
        while len(strangers) < pool_size:
            strangers.append(_random_person(world, rng, names, is_friend=False))
        return rng.sample(strangers, count)

    for index in range(spec.groups):
        name = names.unique(f"{rng.choice(GROUP_TOPICS)}{index + 1}群")
        others = max(0, spec.members - 1)
        n_friends = min(len(all_friends), round(others * FRIEND_SHARE))
        members = [p.id for p in rng.sample(all_friends, n_friends)]
        members += [p.id for p in strangers_for(others - n_friends)]
        owner = SELF_ID if index % 2 == 0 or not members else members[0]
        ordered = [owner] + [m for m in [SELF_ID, *members] if m != owner]
        # Spread evenly (the first group, then every 1/share-th), so a small world has both kinds.
        saved = math.ceil((index + 1) * spec.saved_groups) > math.ceil(index * spec.saved_groups)
        world.add_group(Group(id=world.new_id("g"), nick_name=name, owner_id=owner,
                              member_ids=ordered[: max(spec.members, 1)], saved=saved))
    for spec_group in spec.explicit_groups:
        _explicit_group(world, spec_group, rng, names)

    for index in range(spec.mps):
        province, city = rng.choice(PLACES)
        world.add_mp(Mp(id=world.new_id("m"), nick_name=names.unique(MP_NAMES[index % len(MP_NAMES)]),
                        signature="每天推送一篇好文章", province=province, city=city))
    for spec_mp in spec.explicit_mps:
        data = {"nick_name": spec_mp} if isinstance(spec_mp, str) else dict(spec_mp)
        if not data.get("nick_name"):
            raise WorldError("every explicit MP needs a nick_name")
        world.add_mp(Mp(id=world.new_id("m"), nick_name=str(data["nick_name"]),
                        signature=str(data.get("signature", ""))))
    return world


def _explicit_group(world: World, data: dict[str, Any], rng: random.Random, names: _Names) -> None:
    """{"name": str, "members": int | [nick, ...], "owner": "self" | nick, "saved": bool} (the bot is always a
    member; "saved" to contacts: false unless asked, like most real groups)."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise WorldError("every explicit group needs a name")
    members = data.get("members", 3)
    ids: list[str] = []
    if isinstance(members, int):
        if not 1 <= members <= 500:
            raise WorldError("a group has 1..500 members")
        friends = world.friends()
        ids = [p.id for p in rng.sample(friends, min(len(friends), (members - 1) // 3))]
        while len(ids) < members - 1:
            ids.append(_random_person(world, rng, names, is_friend=False).id)
    elif isinstance(members, list):
        for nick in members:
            found = world.people_named(str(nick))
            person = found[0] if found else world.add_person(Person(id=world.new_id("p"), nick_name=str(nick)))
            ids.append(person.id)
        if len(ids) + 1 > 500:
            raise WorldError("a group has at most 500 members")
    else:
        raise WorldError("group members must be a count or a list of nick names")
    owner_name = data.get("owner", "self")
    owner = SELF_ID if owner_name in ("self", world.account.nick_name) else None
    if owner is None:
        owner = next((i for i in ids if world.people[i].nick_name == owner_name), None)
        if owner is None:
            raise WorldError(f"owner {owner_name!r} is not a member of {data['name']!r}")
    ordered = [owner] + [m for m in [SELF_ID, *ids] if m != owner]
    world.add_group(Group(id=world.new_id("g"), nick_name=data["name"], owner_id=owner, member_ids=ordered,
                          saved=bool(data.get("saved", False))))
