"""What the active driver can do, read from the login record (wechat/bot/state.py), for the web side and automation.

The listener writes the driver's name and capabilities into the fenced login record when it logs in
(wechat/bot/driver_factory.login_fields); the API refuses what is missing with 409 (views/errors.py maps the seam's
`Unsupported`), the dashboard greys it out, automation skips it with an audit entry. While nobody is logged in
nothing is known and nothing is refused here: the worker checks again when it runs the command.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drivers.types import Capability, Unsupported

UPLOAD_CAPABILITY = {"image": Capability.SEND_IMAGE, "emoticon": Capability.SEND_EMOJI}


def parse(names: str) -> Capability:
    found = Capability.NONE
    for name in (names or "").split(","):
        flag = Capability.__members__.get(name.strip().upper())
        if flag is not None:
            found |= flag
    return found


def active(login: dict[str, Any]) -> tuple[str, Capability] | None:
    """(driver name, capabilities) of a logged-in record; None when not logged in or the record predates them."""
    if login.get("state") != "logged_in" or "capabilities" not in login:
        return None
    return str(login.get("driver") or "?"), parse(str(login["capabilities"]))


def missing(login: dict[str, Any], needed: Iterable[Capability]) -> list[Capability]:
    known = active(login)
    if known is None:
        return []
    return [flag for flag in needed if flag not in known[1]]


def require(login: dict[str, Any], needed: Iterable[Capability]) -> None:
    """Raise the seam's Unsupported (→ 409) for the first capability the logged-in driver lacks."""
    lacking = missing(login, needed)
    if lacking:
        driver = active(login)[0]
        raise Unsupported(f"the {driver} driver cannot {lacking[0].name.lower().replace('_', ' ')}")


def for_send(text: str, upload_kinds: Iterable[str]) -> list[Capability]:
    """What a message of `text` and uploads of these kinds (libs/uploads kinds) needs."""
    needed = [Capability.SEND_TEXT] if text else []
    return needed + [UPLOAD_CAPABILITY.get(kind, Capability.SEND_FILE) for kind in upload_kinds]


def summary(login: dict[str, Any]) -> dict[str, Any] | None:
    """For the status API and the dashboard: the driver and every capability with whether it is there."""
    known = active(login)
    if known is None:
        return None
    name, flags = known
    return {"driver": name, "capabilities": {flag.name.lower(): flag in flags for flag in Capability if flag.value}}


def require_for_message(login: dict[str, Any], text: str, upload_ids: Iterable[str]) -> None:
    """One check for every message an admin stores for later sending (bulk send, schedules): 409 for what the
    logged-in driver cannot send. Unknown upload ids are left to the caller's own validation."""
    from libs.uploads import UploadNotFound, resolve_upload, upload_root

    kinds = []
    for upload_id in upload_ids:
        try:
            kinds.append(resolve_upload(upload_root(), upload_id).kind)
        except UploadNotFound:
            continue
    require(login, for_send(text, kinds))
