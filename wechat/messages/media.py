"""A message's media on disk: where it goes, and downloading it within the limits (wechat/messages/media_limits.py).

Only WeChat's numeric MsgId and a plain extension of the sender's file name shape the path, and the write goes
through libs.files.inside(): ids and names from the server are never trusted to stay in the media folder.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from drivers.types import MediaTooLarge as SeamMediaTooLarge
from libs.files import inside
from wechat.messages.media_limits import DailyBudget, MediaLimits, allowance, free_bytes, skipped_status

logger = logging.getLogger(__name__)

MEDIA_TYPES = {"picture": ".jpg", "emoticon": ".gif", "recording": ".mp3", "video": ".mp4", "attachment": ""}
# A seam driver's media message the archive could not fetch (no media_ref, or the download failed): the row is
# stored with this status instead of a file, and the dashboard shows the media as not kept.
MEDIA_NOT_FETCHED = "not_fetched"
MSG_ID = re.compile(r"[0-9]{1,32}")  # WeChat's MsgId is a decimal number; it names the media file on disk
EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def media_file(record: dict[str, Any], account_id: int) -> Path:
    """Where a message's media goes, relative to media_root(): <account>/<yyyy-mm>/<msg id><ext>. Only the
    numeric MsgId and a plain extension of the sender's file name get into the path."""
    if not MSG_ID.fullmatch(record["msg_id"]):
        raise ValueError(f"not a WeChat message id: {record['msg_id']!r}")
    extension = MEDIA_TYPES[record["type"]]
    if record["type"] == "attachment":
        suffix = Path(record["file_name"] or "").suffix.lower()
        extension = suffix if EXTENSION.fullmatch(suffix) else ""
    return Path(str(int(account_id))) / record["created_at"].strftime("%Y-%m") / f"{record['msg_id']}{extension}"


@dataclass
class MediaGate:
    """The limits on what contacts' media may take (wechat/messages/media_limits.py); `budget` None: no daily budget."""

    limits: MediaLimits
    budget: DailyBudget | None = None
    driver: Any = None  # a seam driver (drivers.interface.Driver): fetches its events' media

    @classmethod
    def for_context(cls, ctx: Any) -> MediaGate:
        """From a dispatcher context (wechat/bot/dispatch.py BotContext): the app's settings and its Redis state."""
        from wechat.bot.seam import is_driver

        return cls(MediaLimits.from_config(ctx.app.config), DailyBudget(ctx.state.client, ctx.state.key("media")),
                   driver=ctx.bot if is_driver(ctx.bot) else None)


def download_event_media(driver: Any, event: Any, target: Path, max_bytes: int) -> int:
    """A seam event's media through its driver (``Driver.download_media``), streamed into ``target.part`` and
    renamed when complete; nothing is left on disk when it fails or exceeds ``max_bytes``."""
    part = target.with_name(target.name + ".part")
    try:
        with open(part, "wb") as handle:
            size = driver.download_media(event, handle, max_bytes)
        os.replace(part, target)
        return size
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def save_media(msg, record: dict[str, Any], account_id: int, gate: MediaGate | None = None) -> None:
    """Stream the message's media to disk within the limits; sets file_path/file_size, or media_status when the
    media is skipped (too large, disk low, daily budget of the chat spent)."""
    gate = gate or MediaGate(MediaLimits.from_config(current_app.config))
    try:
        relative = media_file(record, account_id)
    except ValueError as exc:
        logger.warning("media of a message not saved: %s", exc)
        return
    target = inside(media_root(), str(relative))
    if target is None:  # cannot happen with the checks above; every write goes through inside() all the same
        logger.warning("media path %s leads out of the media folder; not saved", relative)
        return
    chat = record["chat_puid"] or "unknown"
    used = gate.budget.used(chat) if gate.budget is not None else 0
    most, binding = allowance(gate.limits, free_bytes(media_root()), used)
    if most <= 0:
        record["media_status"] = binding
        logger.info("media of message %s skipped: %s", record["msg_id"], binding)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # A message that already holds its file locally (what the bot itself sent: wechat/messages/sent.py) copies
        # it under the same limits instead of downloading.
        copy_to = getattr(msg, "copy_media_to", None)
        if callable(copy_to):
            size = copy_to(target, most)
        elif gate.driver is not None:
            size = download_event_media(gate.driver, msg, target, most)
        else:  # no driver to ask (one archive media path: the driver's download_media, on every driver)
            record["media_status"] = MEDIA_NOT_FETCHED
            return
    except SeamMediaTooLarge as exc:
        record["media_status"] = skipped_status(gate.limits, exc.size, binding)
        logger.info("media of message %s skipped: %s", record["msg_id"], exc)
        return
    except Exception as exc:
        # The driver's failure is reported with the row (its error, not a trace).
        record["media_status"] = MEDIA_NOT_FETCHED
        logger.warning("could not download the media of message %s: %s", record["msg_id"], exc)
        return
    if gate.budget is not None:
        gate.budget.add(chat, size)
    record["file_path"] = str(relative)
    record["file_size"] = size
