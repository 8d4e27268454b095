"""One sync run: snapshot the bot, apply to SQL, report progress as SSE `sync` events. Never two at once.

Avatars are not part of it: the `wechat.sync` task queues `wechat.avatars` after the sync has finished, so lists
are complete (and the sync lease free) while the pictures are still downloading.
"""

from __future__ import annotations

import logging
import uuid

from flask import current_app

from drivers.types import Capability
from libs import metrics
from libs.events import publish
from libs.netguard import current_policy
from wechat.bot import snapshot as seam_snapshot
from wechat.bot.driver_factory import avatar_origin, seam_driver
from wechat.bot.lease import Lease
from wechat.bot.seam import is_driver
from wechat.bot.state import BotState
from wechat.sync import store as sync
from wechat.sync.avatars import fetch_avatars, fetch_url_avatars

logger = logging.getLogger(__name__)

SYNC_KINDS = ("contacts", "groups", "mps", "all")
SYNC_LEASE_SECONDS = 900


class SyncBusy(Exception):
    """Another sync of this account is running."""


def run_sync(bot, account_id: int, state: BotState, what: str = "all") -> list[dict]:
    if what not in SYNC_KINDS:
        raise ValueError(f"what must be one of {', '.join(SYNC_KINDS)}")
    lease = Lease(state.client, state.key("sync"), SYNC_LEASE_SECONDS)
    owner = uuid.uuid4().hex
    if not lease.acquire(owner):
        raise SyncBusy("a sync is already running")

    def progress(kind: str, done: int, total: int) -> None:
        publish("sync", {"kind": kind, "done": done, "total": total}, client=state.client)

    try:
        results: list[sync.SyncResult] = []
        driver = seam_driver(bot)  # the itchat driver's over a wxpy Bot
        seam_snapshot.refresh(driver)
        if what in ("contacts", "all"):
            results.append(sync.sync_people(account_id, seam_snapshot.friends(driver), "is_friend"))
            progress("contacts", 1, 1)
        if what in ("mps", "all"):
            results.append(sync.sync_people(account_id, seam_snapshot.mps(driver), "is_mp"))
            progress("mps", 1, 1)
        if what in ("groups", "all"):
            fresh = seam_snapshot.groups(driver, lambda done, total: progress("members", done, total))
            results.append(sync.sync_groups(account_id, fresh, progress))
        removed = sync.remove_orphans(account_id)
    finally:
        lease.release(owner)
    for result in results:
        metrics.observe(f"sync_seconds_{result.kind}", result.seconds)
    summary = [result.as_dict() for result in results]
    publish("sync", {"kind": what, "done": 1, "total": 1, "finished": True, "results": summary,
                     "orphans_removed": removed}, client=state.client)
    logger.info("sync %s: %s", what, summary)
    return summary


def run_avatars(bot, account_id: int, state: BotState) -> int | None:
    """Download the avatars that are due (wechat/sync/avatars.py); None when another download is running."""
    seam = is_driver(bot)
    origin = avatar_origin(current_app.config) if seam else None
    if seam and (origin is None or Capability.AVATARS not in bot.capabilities):
        return 0  # the driver gives no avatar URLs the product may fetch: the dashboard shows initials
    lease = Lease(state.client, state.key("avatars"), SYNC_LEASE_SECONDS)
    owner = uuid.uuid4().hex
    if not lease.acquire(owner):
        return None
    try:
        if seam:
            def urls() -> dict[str, str]:
                return {chat.id: chat.avatar_url for chat in [*bot.friends(), *bot.mps(), *bot.groups()]}

            fetched = fetch_url_avatars(urls, account_id, origin, current_policy())
        else:
            fetched = fetch_avatars(bot, account_id)
    finally:
        lease.release(owner)
    publish("sync", {"kind": "avatars", "done": 1, "total": 1, "fetched": fetched}, client=state.client)
    return fetched
