"""The driver's lists as the sync's plain dicts: the one snapshot for every driver (ids are the driver's stable ids:
the itchat driver's puids, a gateway's wxids; stored as `puid`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.interface import Driver
from drivers.types import Contact
from libs.emoji_markup import normalize_emoji
from wechat.bot.seam import directory_of

CONTACT_FIELDS = ("nick_name", "remark_name", "sex", "province", "city", "signature")


def _person(contact: Contact) -> dict[str, Any]:
    return {"puid": contact.id, "nick_name": normalize_emoji(contact.nick_name)[:255],
            "remark_name": normalize_emoji(contact.remark_name)[:255], "sex": int(contact.sex or 0),
            "province": contact.province[:255], "city": contact.city[:255],
            "signature": normalize_emoji(contact.signature)}


def refresh(driver: Driver) -> None:
    """Fresh lists for the sync. A driver that keeps the lists itself offers ``refresh_contacts()`` (the itchat
    driver: itchat holds them and never forgets a friend or MP that is gone); the shared directory lists again."""
    refresh_contacts = getattr(driver, "refresh_contacts", None)
    if callable(refresh_contacts):
        refresh_contacts()
    directory_of(driver).forget()


def friends(driver: Driver) -> dict[str, dict[str, Any]]:
    directory = directory_of(driver)
    generation = directory.generation()
    listed = driver.friends()
    directory.learned("friends", listed, generation)
    return {row["puid"]: row for row in map(_person, listed) if row["puid"]}


def mps(driver: Driver) -> dict[str, dict[str, Any]]:
    directory = directory_of(driver)
    generation = directory.generation()
    listed = driver.mps()
    directory.learned("mps", listed, generation)
    return {row["puid"]: row for row in map(_person, listed) if row["puid"]}


def groups(driver: Driver, progress: Callable[[int, int], None] = lambda done, total: None
           ) -> dict[str, dict[str, Any]]:
    """{group id: {fields..., "members": {member id: {nick_name, display_name}}}}, one member listing per group.
    The listings also become the chat directory's (wechat/bot/seam.py), which would otherwise list them again."""
    me = driver.self_info().id
    directory = directory_of(driver)
    generation = directory.generation()
    listed = driver.groups()
    directory.learned("groups", listed, generation)
    result: dict[str, dict[str, Any]] = {}
    for number, group in enumerate(listed, 1):
        if not group.id:
            continue
        before = directory.generation()
        listing = list(group.members or driver.group_members(group.id))
        directory.learned_members(group.id, listing, generation if group.members else before)
        members = {m.id: {"nick_name": normalize_emoji(m.nick_name)[:255],
                          "display_name": normalize_emoji(m.display_name)[:255]}
                   for m in listing if m.id and m.id != me}
        is_owner = group.owner_id == me
        result[group.id] = {"puid": group.id, "nick_name": normalize_emoji(group.name)[:255], "is_owner": is_owner,
                            "owner_puid": group.owner_id or None, "member_count": len(members) + 1,
                            "members": members}
        progress(number, len(listed))
    return result
