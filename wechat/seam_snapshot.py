"""A seam driver's lists as the sync's plain dicts (the same shapes as wechat/sync_snapshot.py gives for wxpy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.interface import Driver
from drivers.types import Contact
from libs.emoji_markup import normalize_emoji
from wechat.seam import directory_of


def _person(contact: Contact) -> dict[str, Any]:
    return {"puid": contact.id, "nick_name": normalize_emoji(contact.nick_name)[:255],
            "remark_name": normalize_emoji(contact.remark_name)[:255], "sex": int(contact.sex or 0),
            "province": contact.province[:255], "city": contact.city[:255],
            "signature": normalize_emoji(contact.signature)}


def refresh(driver: Driver) -> None:
    """The sync reads fresh lists from the driver anyway; the shared directory lists again too."""
    directory_of(driver).forget()


def friends(driver: Driver) -> dict[str, dict[str, Any]]:
    return {row["puid"]: row for row in map(_person, driver.friends()) if row["puid"]}


def mps(driver: Driver) -> dict[str, dict[str, Any]]:
    return {row["puid"]: row for row in map(_person, driver.mps()) if row["puid"]}


def groups(driver: Driver, progress: Callable[[int, int], None] = lambda done, total: None
           ) -> dict[str, dict[str, Any]]:
    """{group id: {fields..., "members": {member id: {nick_name, display_name}}}}, one member listing per group."""
    me = driver.self_info().id
    listed = driver.groups()
    result: dict[str, dict[str, Any]] = {}
    for number, group in enumerate(listed, 1):
        if not group.id:
            continue
        members = {m.id: {"nick_name": normalize_emoji(m.nick_name)[:255],
                          "display_name": normalize_emoji(m.display_name)[:255]}
                   for m in (group.members or driver.group_members(group.id)) if m.id and m.id != me}
        is_owner = group.owner_id == me
        result[group.id] = {"puid": group.id, "nick_name": normalize_emoji(group.name)[:255], "is_owner": is_owner,
                            "owner_puid": group.owner_id or None, "member_count": len(members) + 1,
                            "members": members}
        progress(number, len(listed))
    return result
