"""A full refresh of the contact list that also forgets friends and MPs that are gone.

itchat merges a fresh contact list into what it holds but never removes anything (it ignores DelContactList as
well), so a friend who deleted the bot stayed a "friend" until the next login. This fetches the paged list the
way itchat does, lets itchat merge it, then drops people and MPs missing from it.
"""

from __future__ import annotations

import json
import time


def fetch_contact_pages(core) -> list[dict]:
    from itchat import config

    members: list[dict] = []
    seq = 0
    while True:
        info = core.loginInfo
        url = f"{info['url']}/webwxgetcontact?r={int(time.time())}&seq={seq}&skey={info['skey']}"
        response = core.s.get(url, headers={"ContentType": "application/json; charset=UTF-8",
                                            "User-Agent": config.USER_AGENT})
        page = json.loads(response.content.decode("utf-8", "replace"))
        if page.get("BaseResponse", {}).get("Ret", 0) != 0:
            raise RuntimeError(f"webwxgetcontact failed: {page.get('BaseResponse')}")
        members.extend(page.get("MemberList") or [])
        seq = page.get("Seq", 0)
        if not seq:
            return members


def refresh_contacts(core) -> None:
    from itchat.components.contact import update_local_chatrooms, update_local_friends

    fetched = fetch_contact_pages(core)
    rooms = [m for m in fetched if m["UserName"].startswith("@@")]
    people = [m for m in fetched if not m["UserName"].startswith("@@")]
    if rooms:
        update_local_chatrooms(core, rooms)
    if people:
        update_local_friends(core, people)
    present = {m["UserName"] for m in people}
    me = core.storageClass.userName
    with core.storageClass.updateLock:
        core.memberList[:] = [m for m in core.memberList if m["UserName"] in present or m["UserName"] == me]
        core.mpList[:] = [m for m in core.mpList if m["UserName"] in present]
