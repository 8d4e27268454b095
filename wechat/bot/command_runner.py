"""What the dashboard can ask the live bot to do: the shared home of the command table's errors and its runner.

The commands themselves are wechat/bot/commands.py, one table for every driver (the itchat driver's wxpy Bot is
reached through drivers/itchat's ItchatDriver). Each returns a JSON-able dict or raises CommandError with a stable
code the API maps to a status: not_found, not_owner, not_reachable, invalid, rate_limited, wechat_error,
unsupported (the driver lacks the capability: 409), and not_logged_in (raised before any of these run).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from libs.uploads import UploadNotFound, resolve_upload, upload_root
from wechat.sending.media_limits import send_refusal

logger = logging.getLogger(__name__)

INVITE_ABOVE = 40  # WeChat adds members directly only to groups of at most 40; larger ones need an invitation
MAX_GROUP_SIZE = 500


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message}


def uploads_to_send(files: Any, driver: str = "itchat") -> list:
    """Upload ids (POST /api/uploads) -> the stored uploads, resolved under the uploads folder by the worker itself.

    A task message comes from whoever can reach the broker: it names files by upload id only, never by path, so it
    cannot make the bot send a file the worker can read elsewhere (a path, or an id leading out, is refused). Sizes
    are checked against `driver`'s limits (wechat/sending/media_limits.py)."""
    if files is None:
        return []
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise CommandError("invalid", "files must be a list of upload ids (POST /api/uploads), never paths")
    root = upload_root()
    try:
        uploads = [resolve_upload(root, upload_id) for upload_id in files]
    except UploadNotFound as exc:
        raise CommandError("invalid", f"unknown upload id {str(exc)[:40]!r}") from None
    for item in uploads:  # before anything is sent: WeChat would refuse it half-way
        refusal = send_refusal(item.kind, item.size, item.name, driver=driver)
        if refusal:
            raise CommandError("invalid", refusal)
    return uploads


def commands_for(bot) -> dict[str, Any]:
    """The command table (wechat/bot/commands.py); each command takes the live connection, whichever driver."""
    from wechat.bot import commands as seam_commands

    return seam_commands.COMMANDS


def run_command(bot, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    command = commands_for(bot).get(name)
    if command is None:
        return CommandError("invalid", f"unknown command {name!r}").as_dict()
    try:
        inspect.signature(command).bind(bot, **kwargs)
    except TypeError as exc:
        return CommandError("invalid", f"bad arguments for {name}: {exc}").as_dict()
    try:
        return command(bot, **kwargs)
    except CommandError as exc:
        return exc.as_dict()
