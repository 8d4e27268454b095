"""Avatars of friends, groups and MPs, downloaded into the instance folder at most once a day each.

A big account has thousands of contacts: each sync fetches a bounded number, never-fetched ones first, so the
pictures fill in over a few syncs instead of one sync making thousands of requests to WeChat.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import or_, select, update

from extensions import db
from libs.netguard import OutboundRefused, Policy, fetch, guarded_session
from models.types import utcnow
from models.wechat import Contact, Group

logger = logging.getLogger(__name__)
REFRESH_AFTER = timedelta(days=1)
PER_SYNC = 200
PARALLEL_DOWNLOADS = 8  # at once, like a browser loading a contact list; more would look less like one
# At once in the whole process, whatever the number of accounts: a worker that has just logged in 50 accounts runs
# 50 avatar batches, which would open 400 connections to the gateway at once and crowd its listeners off the CPU.
# The pictures fill in a little later instead.
PROCESS_DOWNLOADS = 8
DEFAULT_PORTS = {"http": 80, "https": 443}


def avatar_root() -> Path:
    return Path(current_app.instance_path) / "avatars"


def _due_contacts(account_id: int, limit: int) -> list[Contact]:
    stale = utcnow() - REFRESH_AFTER
    query = select(Contact).where(
        Contact.account_id == account_id, or_(Contact.is_friend.is_(True), Contact.is_mp.is_(True)),
        or_(Contact.avatar_fetched_at.is_(None), Contact.avatar_fetched_at < stale))
    # "IS NOT NULL" as the first sort key puts never-fetched rows first on every engine.
    order = (Contact.avatar_fetched_at.is_not(None), Contact.avatar_fetched_at, Contact.id)
    return list(db.session.execute(query.order_by(*order).limit(max(limit, 0))).scalars())


def _due_groups(account_id: int, limit: int) -> list[Group]:
    """Groups have no fetch-time column: the picture file's age tells (a failed fetch is retried next sync)."""
    def age(group: Group) -> float:
        path = avatar_root() / group.avatar_path if group.avatar_path else None
        return time.time() - path.stat().st_mtime if path and path.exists() else float("inf")

    due = [g for g in db.session.execute(select(Group).where(Group.account_id == account_id)).scalars()
           if age(g) > REFRESH_AFTER.total_seconds()]
    return sorted(due, key=age, reverse=True)[:max(limit, 0)]


def _download(chat, target: Path) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        chat.get_avatar(str(target))
    except Exception:
        logger.info("avatar of %s not available", getattr(chat, "puid", "?"), exc_info=True)
        return False
    return target.exists() and target.stat().st_size > 0


def fetch_avatars(bot, account_id: int, limit: int = PER_SYNC) -> int:
    """Download due avatars, several at a time (one by one, 200 pictures took most of a large sync's time).

    Only the downloads run concurrently (threads, greenlets in the worker); the rows are updated here, in the
    caller's database session.
    """
    chats = {chat.puid: chat for chat in [*bot.friends(), *bot.groups(), *bot.mps()] if chat.puid}

    def download_for(row: DueRow):
        chat = chats.get(row.puid)
        return None if chat is None else (lambda target: _download(chat, target))

    return _fetch_due(_due(account_id, limit), account_id, download_for)


@dataclass(frozen=True)
class DueRow:
    """A chat whose picture is due, as plain values: no ORM row (and no database connection) is held while the
    pictures download."""
    model: type[Group] | type[Contact]
    id: int
    puid: str | None

    @property
    def folder(self) -> str:
        """Under the account's avatar folder."""
        return "groups" if self.model is Group else "contacts"


def _due(account_id: int, limit: int) -> list[DueRow]:
    """The due chats; the read's transaction ends here, so a batch of downloads holds no pooled connection (a worker
    that had just logged in 50 accounts ran 50 avatar batches, which held the whole pool while the listeners waited
    for a connection to store their first messages)."""
    groups = _due_groups(account_id, limit)
    rows = [DueRow(Group, row.id, row.puid) for row in groups]
    rows += [DueRow(Contact, row.id, row.puid) for row in _due_contacts(account_id, limit - len(groups))]
    db.session.commit()
    return rows


@functools.cache
def _process_slots() -> threading.BoundedSemaphore:
    """Made on first use, after gevent has patched `threading` in the worker (a real lock would block its hub)."""
    return threading.BoundedSemaphore(PROCESS_DOWNLOADS)


def bounded(download: Callable[[Path], bool]) -> Callable[[Path], bool]:
    """The download, waiting for one of the process's PROCESS_DOWNLOADS slots first."""
    def run(target: Path) -> bool:
        with _process_slots():
            return download(target)
    return run


def _fetch_due(due: list[DueRow], account_id: int,
               download_for: Callable[[DueRow], Callable[[Path], bool] | None]) -> int:
    """Download each due chat's picture (``download_for`` gives the download, or None to skip it) several at a
    time, then store the paths of those that worked in one short transaction; a contact counts as tried either way
    (retried tomorrow, not on every sync)."""
    now = utcnow()
    jobs = {}
    with ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS) as pool:
        for row in due:
            download = download_for(row)
            if download is not None:
                relative = Path(str(account_id)) / row.folder / f"{row.id}.jpg"
                jobs[pool.submit(bounded(download), avatar_root() / relative)] = (row, relative)
        fetched = [(row, relative) for future, (row, relative) in jobs.items() if future.result()]
    tried = [row.id for row in due if row.model is Contact]
    if tried:
        db.session.execute(update(Contact).where(Contact.id.in_(tried)).values(avatar_fetched_at=now))
    for model in (Group, Contact):
        paths = [{"id": row.id, "avatar_path": str(relative)} for row, relative in fetched if row.model is model]
        if paths:
            db.session.execute(update(model), paths)  # by primary key, one statement for all
    db.session.commit()
    return len(fetched)


# -- a seam driver's avatars: URLs the service handed out (hostile), fetched only from the service's own origin --
AVATAR_MAX_BYTES = 1024 * 1024  # a head image is a few KB; anything near this is not one
AVATAR_TIMEOUT = (5, 15)


def same_origin(url: str, origin: str) -> bool:
    """``url`` is on ``origin`` (scheme, host, port and path prefix of the gateway's base URL)."""
    try:
        target, base = urlsplit(url), urlsplit(origin)
        ports = (target.port or DEFAULT_PORTS.get(target.scheme), base.port or DEFAULT_PORTS.get(base.scheme))
    except ValueError:
        return False
    prefix = base.path.rstrip("/") + "/"
    return (target.scheme == base.scheme and (target.hostname or "") == (base.hostname or "") and ports[0] == ports[1]
            and target.path.startswith(prefix) and not target.username and not target.password)


def download_avatar_url(url: str, target: Path, policy: Policy, session: requests.Session | None = None) -> bool:
    """One head image, through libs/netguard (checked URL and connection, no redirect), at most AVATAR_MAX_BYTES,
    an image or nothing; written to ``target.part`` and renamed when whole. ``session``: a guarded session of
    ``policy`` shared by a batch (kept-alive connections to the gateway)."""
    part = target.with_name(target.name + ".part")
    try:
        response = fetch("GET", url, policy, session=session, stream=True, timeout=AVATAR_TIMEOUT)
    except (OutboundRefused, requests.RequestException) as exc:
        logger.info("avatar not fetched: %s", exc)
        return False
    try:
        if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith("image/"):
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(part, "wb") as handle:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > AVATAR_MAX_BYTES:
                    raise ValueError("too large for an avatar")
                handle.write(chunk)
        if size == 0:
            return False
        os.replace(part, target)
        return True
    except (OSError, ValueError, requests.RequestException) as exc:
        logger.info("avatar not fetched: %s", exc)
        return False
    finally:
        response.close()
        part.unlink(missing_ok=True)


def fetch_url_avatars(list_urls: Callable[[], dict[str, str]], account_id: int, origin: str, policy: Policy,
                      limit: int = PER_SYNC) -> int:
    """Due avatars of a seam driver's chats (``list_urls()``: chat id → the ``avatar_url`` its listing gave, asked
    only when something is due). A URL off the gateway's ``origin`` is skipped (the real gateway hands out WeChat
    CDN URLs: never fetched from here), the rest go through libs/netguard with the gateway's own host allowed (it
    is the operator's configured service)."""
    host = (urlsplit(origin).hostname or "").lower()
    policy = replace(policy, allow_hosts=policy.allow_hosts | {host}) if host else policy
    due = _due(account_id, limit)
    if not due:
        return 0
    urls = list_urls()

    with guarded_session(policy) as session:  # one pool of kept-alive connections for the batch, not one per picture
        def download_for(row: DueRow):
            url = urls.get(row.puid or "", "")
            if not (url and same_origin(url, origin)):
                return None
            return lambda target: download_avatar_url(url, target, policy, session)

        return _fetch_due(due, account_id, download_for)
