"""How many bytes a contact's media may take: a cap per file, a floor of free disk, a daily budget per chat.

A contact (or any member of a group) decides what the bot downloads. Without limits a few large files fill the disk
the database and the session live on. `allowance` says how much the next download may take and which limit that
is; the archive skips the media (the message row is still stored, with `media_status`) when it is nothing, or when
the file turns out larger. The daily budget is counted in Redis (a counter per chat and day, expiring after two
days: losing it only resets a budget).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.message import MEDIA_SKIPPED

TOO_LARGE, DISK_LOW, BUDGET = MEDIA_SKIPPED
MB = 1024 * 1024
BUDGET_TTL_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int
    min_free_bytes: int
    daily_bytes_per_chat: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MediaLimits:
        return cls(int(config["MEDIA_MAX_MB"]) * MB, int(config["MEDIA_MIN_FREE_MB"]) * MB,
                   int(config["MEDIA_DAILY_MB_PER_CHAT"]) * MB)


def allowance(limits: MediaLimits, free_bytes: int, used_today: int) -> tuple[int, str]:
    """(the most bytes the next download may take, the status to record when it needs more). 0: skip at once."""
    bounds = [(limits.max_bytes, TOO_LARGE), (free_bytes - limits.min_free_bytes, DISK_LOW),
              (limits.daily_bytes_per_chat - used_today, BUDGET)]
    most, status = min(bounds, key=lambda bound: bound[0])
    return max(most, 0), status


def skipped_status(limits: MediaLimits, declared: int | None, binding: str) -> str:
    """Why a download that hit its limit is skipped: "too_large" whenever the file is above the cap per file."""
    return TOO_LARGE if declared is not None and declared > limits.max_bytes else binding


def free_bytes(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(folder).free


class DailyBudget:
    """Bytes of media kept per chat today (UTC), in Redis."""

    def __init__(self, client: Any, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def key(self, chat: str, day: str | None = None) -> str:
        return f"{self.namespace}:{day or datetime.now(UTC).strftime('%Y-%m-%d')}:{chat}"

    def used(self, chat: str) -> int:
        return int(self.client.get(self.key(chat)) or 0)

    def add(self, chat: str, size: int) -> None:
        pipe = self.client.pipeline()
        pipe.incrby(self.key(chat), size)
        pipe.expire(self.key(chat), BUDGET_TTL_SECONDS)
        pipe.execute()
