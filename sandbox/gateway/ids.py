"""Stable wxids for the world's entities: ``wxid_…`` people, ``…@chatroom`` groups, ``gh_…`` MPs.

Derived from the entity id and the account's uin, so the same world (same seed) always gives the same
wxids, across logins and restarts, exactly what makes gateway ids "stable" for the product.
"""

from __future__ import annotations

import hashlib

from sandbox.world import FILEHELPER, FMESSAGE, World

SPECIAL = (FILEHELPER, FMESSAGE)


def _digest(world: World, entity_id: str) -> str:
    return hashlib.sha256(f"{world.uin}:{entity_id}".encode()).hexdigest()


def wxid_of(world: World, entity_id: str) -> str:
    if entity_id in SPECIAL:
        return entity_id
    digest = _digest(world, entity_id)
    if entity_id in world.groups or entity_id.startswith("g"):
        return f"{int(digest[:15], 16) % 10**11:011d}@chatroom"
    if entity_id in world.mps or entity_id.startswith("m"):
        return "gh_" + digest[:12]
    return "wxid_" + digest[:14]


class WxidIndex:
    """wxid → entity id for one world; rebuilt when the world gained entities since the last lookup."""

    def __init__(self) -> None:
        self._world: World | None = None
        self._size = -1
        self._ids: dict[str, str] = {}

    def entity_of(self, world: World, wxid: str) -> str | None:
        if wxid in SPECIAL:
            return wxid
        # Entities are only ever added with a fresh id from world.new_id, so (counts, counter) changes
        # whenever the index would; an unknown wxid alone never forces a rebuild.
        size = hash((len(world.people), len(world.groups), len(world.mps), world._next))
        if world is not self._world or size != self._size:
            self._world, self._size = world, size
            self._ids = {wxid_of(world, i): i for i in (*world.people, *world.groups, *world.mps)}
        entity_id = self._ids.get(wxid)
        return entity_id if entity_id is not None and world.entity(entity_id) is not None else None
