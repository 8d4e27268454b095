"""WeChat accounts as an owner manages them: add, pause, resume, remove. One source for the CLI (commands.py) and
the dashboard/API (views/account_admin.py); every change writes its audit entry here, never with the gateway key.

- add: a slot name (wechat/workers/slots.check_slot), a driver of drivers.types.DRIVER_NAMES and, for padpro, the
  gateway (`base_url`: http/https without credentials, checked by libs/netguard; `key`: a secret, stored in the row's
  driver settings and never logged, returned or shown again).
- pause / resume: the placement loop of every worker (wechat/workers/placer.py) reads
  wechat/workers/slots.running_slots each PLACEMENT_INTERVAL; an account that left that list is handed over (its
  listener stops, the session is kept) and taken by nobody, so pausing or removing a running account stops its
  listener within one period.
- remove, `keep`: the account stops running, its slot is free for a new account, its gateway settings (the key) are
  dropped and its data stays readable as an archived, read-only account (views/account_context.py refuses
  writes). `delete`: first as `keep`, then, once the account's listener has let go of its slot, the account row
  and everything of it: contacts, groups, memberships, messages and their media files, conversations, send jobs,
  schedules, auto-reply rules, automation settings, insights, grants. Audit entries stay (the record of who did
  what, this deletion included); their account becomes NULL.
The default account (WECHAT_ACCOUNT: rows without a slot) is the installation's own and cannot be removed here.
"""

from __future__ import annotations

import ipaddress
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flask import current_app
from sqlalchemy import delete, exc, select

from drivers.types import DRIVER_NAMES
from extensions import db
from libs import netguard
from models.audit import record
from models.message import Message
from models.types import utcnow
from models.wechat import Account
from wechat.workers import slots

MAX_KEY = 256  # gateway keys are short tokens; a longer value is a paste accident, not a key
ARCHIVE_CHOICES = ("keep", "delete")
STOP_WAIT_PERIODS = 2  # how long a deletion waits for the account's listener to stop, in placement periods
GATEWAY_SETTINGS = ("base_url", "key")  # padpro's; the other drivers take none of them
URL_SETTINGS = ("base_url", "wechat_base_url")
ANYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass
class AccountRefused(ValueError):
    """A change that cannot be made: `status` 400 (bad input), 404 (unknown), 409 (conflicts with the state)."""

    status: int
    message: str
    code: str = "invalid"
    field: str | None = None

    def __str__(self) -> str:
        return self.message


def _check_text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise AccountRefused(400, f"'{name}' must be a string", field=name)
    value = value.strip()
    if not value:
        raise AccountRefused(400, f"'{name}' must not be empty", field=name)
    if len(value) > limit:
        raise AccountRefused(400, f"'{name}' is too long (at most {limit} characters)", field=name)
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in value):
        raise AccountRefused(400, f"'{name}' contains control characters", field=name)
    return value


def check_settings(driver: str, settings: dict[str, Any], guard_network: bool = True) -> dict[str, str]:
    """The driver settings to store, each checked; AccountRefused names the first bad one (never its value)."""
    unknown = sorted(set(settings) - set(slots.SETTINGS))
    if unknown:
        raise AccountRefused(400, f"unknown driver setting {unknown[0][:40]!r}; known: {', '.join(slots.SETTINGS)}",
                             field=unknown[0][:40])
    clean: dict[str, str] = {}
    for name, value in settings.items():
        if value is None or value == "":
            continue
        if driver != "padpro" and name in GATEWAY_SETTINGS:
            raise AccountRefused(400, f"'{name}' is a setting of the padpro driver only", field=name)
        if name in URL_SETTINGS:
            value = _check_text(name, value, netguard.MAX_URL)
            # The URL is hostile input (whoever types it points the workers at it): http(s), no credentials, and with
            # the outbound policy no address of this machine or its network unless OUTBOUND_ALLOW_* allows it. The
            # CLI is the server's operator: only the URL's form is checked (a gateway on the LAN is normal there).
            policy = None if guard_network else netguard.Policy(allow_nets=ANYWHERE)
            try:
                netguard.check_url(value, policy, resolve_host=guard_network)
            except netguard.OutboundRefused as refused:
                raise AccountRefused(400, f"'{name}': {refused}", field=name) from None
        else:  # the key, and login_mode (the itchat driver refuses an unknown mode when the listener starts)
            value = _check_text(name, value, MAX_KEY)
        clean[name] = value
    if driver == "padpro":
        if "key" not in clean:
            raise AccountRefused(400, "a padpro account needs its gateway key ('key')", field="key")
        if "base_url" not in clean and not current_app.config.get("PADPRO_BASE_URL"):
            raise AccountRefused(400, "a padpro account needs its gateway URL ('base_url'): PADPRO_BASE_URL is not "
                                      "set", field="base_url")
    return clean


def add_account(slot: Any, driver: Any = None, settings: dict[str, Any] | None = None, *, actor: str,
                ip: str | None = None, guard_network: bool = True) -> Account:
    """A new account in `slot` (committed); a worker starts its listener within one placement period."""
    if not isinstance(slot, str):
        raise AccountRefused(400, "'slot' must be a string", field="slot")
    try:
        slots.check_slot(slot)
    except slots.SlotError as error:
        raise AccountRefused(400, str(error), field="slot") from None
    if driver is not None and driver not in DRIVER_NAMES:
        raise AccountRefused(400, f"'driver' must be one of {', '.join(DRIVER_NAMES)}", field="driver")
    effective = driver or str(current_app.config.get("WECHAT_DRIVER") or "itchat")
    clean = check_settings(effective, dict(settings or {}), guard_network)
    if slot == slots.default_slot() or slots.slot_row(slot) is not None:
        raise AccountRefused(409, f"the slot {slot!r} exists already", code="duplicate", field="slot")
    _forget_earlier_session(slot)
    try:
        account = slots.add_account(slot, driver, clean)
        record(actor, "account.add", target=slot, ip=ip, account_id=account.id,
               detail={"driver": account.driver, "settings": sorted(clean)})  # names only: never the key
        db.session.commit()
    except exc.IntegrityError:  # the same slot added at the same moment by someone else
        db.session.rollback()
        raise AccountRefused(409, f"the slot {slot!r} exists already", code="duplicate", field="slot") from None
    return account


def _forget_earlier_session(slot: str) -> None:
    """A slot name used before (its account removed) keeps that account's WeChat session on disk: a new account in
    it would log in as the earlier WeChat user without a scan. The session goes, once the earlier listener is gone
    (it stops within one placement period of the removal; until then the slot is busy)."""
    from wechat import control

    if control.bot_state(account=slot).lease_holder() is not None:
        raise AccountRefused(409, f"the slot {slot!r} was removed a moment ago and its listener is still stopping; "
                                  "try again in a few seconds", code="slot_busy", field="slot")
    # instance/wechat/<slot>: the session folder of drivers/itchat (SessionFiles.for_account), which the web process
    # does not import; the instance folder is shared by every process (docker-compose.yml).
    shutil.rmtree(Path(current_app.instance_path) / "wechat" / slot, ignore_errors=True)
    _forget_earlier_redis_state(slot)


def _forget_earlier_redis_state(slot: str) -> None:
    """The earlier account's keys `wx:<slot>:*` go too: its login record, unread counts, event spool, the ids it
    spooled and the gateway delivery checkpoint (a new account resuming the earlier gateway's sync key would read
    another session's position). The lease keys stay: their generation counter keeps fencing out a listener of
    the earlier account that somehow still writes."""
    from wechat import control

    state = control.bot_state(account=slot)
    lease = state.key("lease")
    doomed = [key for key in state.client.scan_iter(match=state.key("*"), count=500)
              if not key.decode().startswith(lease)]
    for start in range(0, len(doomed), 500):
        state.client.delete(*doomed[start:start + 500])


def get_account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise AccountRefused(404, f"no WeChat account {account_id}", code="unknown_account")
    return account


def account_by_slot(slot: str) -> Account:
    account = slots.slot_row(slot) if isinstance(slot, str) else None
    if account is None:
        archived = db.session.execute(select(Account).where(Account.archived_slot == slot, Account.slot.is_(None))
                                      .order_by(Account.id.desc())).scalars().first()
        if archived is None:
            raise AccountRefused(404, f"no account slot {slot!r} (the default one is paused by stopping it)",
                                 code="unknown_account")
        return archived
    return account


def _managed(account: Account, what: str) -> None:
    """Only accounts with a slot of their own (or archived ones, for `delete`) are managed here."""
    if account.archived_at is not None:
        raise AccountRefused(409, f"account {account.id} is archived (read-only); it can only be deleted",
                             code="archived")
    if not account.slot:
        raise AccountRefused(400, f"account {account.id} belongs to the default account (WECHAT_ACCOUNT), which is "
                                  f"the installation's own: it cannot be {what} here", code="default_account")


def set_paused(account: Account, paused: bool, *, actor: str, ip: str | None = None) -> Account:
    """Pause (no worker runs it; a running listener is handed over and not taken again) or resume (committed)."""
    _managed(account, "paused" if paused else "resumed")
    if account.paused != paused:
        account.paused = paused
        record(actor, "account.pause" if paused else "account.resume", target=account.slot, ip=ip,
               account_id=account.id)
        db.session.commit()
    return account


def label(account: Account) -> str:
    """What an admin types to confirm a removal: the slot, or for an archived account the slot it had."""
    return account.slot or account.archived_slot or ""


def remove_account(account: Account, archive: Literal["keep", "delete"], *, actor: str, confirm: str | None = None,
                   ip: str | None = None) -> dict[str, Any]:
    """Remove an account, keeping its archive or deleting all of it (see the module docstring); what was done."""
    if archive not in ARCHIVE_CHOICES:
        raise AccountRefused(400, "'archive' must be keep or delete", field="archive")
    if not (archive == "delete" and account.archived_at is not None):  # an archive may be deleted later
        _managed(account, "removed")
    name = label(account)
    if archive == "delete" and confirm is None:
        raise AccountRefused(400, f"deleting is final: confirm with the slot name {name!r}", field="confirm",
                             code="confirm")
    if confirm is not None and confirm != name:
        raise AccountRefused(400, f"the confirmation does not match the slot name {name!r}", field="confirm",
                             code="confirm")
    account_id = account.id
    if archive == "keep":
        account.archived_at, account.archived_slot = utcnow(), account.slot
        account.slot, account.paused = None, False
        account.driver_settings = None  # the gateway key goes: an archive runs nothing
        if account.puid.startswith(slots.PLACEHOLDER):  # never logged in: free the placeholder for a new account
            account.puid = f"archived:{account.id}:{name}"
        record(actor, "account.archive", target=name, ip=ip, account_id=account_id)
        db.session.commit()
        return {"id": account_id, "slot": name, "archive": "keep"}
    messages = _delete_everything(account_id, name)
    record(actor, "account.delete", target=name, ip=ip, detail={"id": account_id, "messages": messages})
    db.session.commit()
    return {"id": account_id, "slot": name, "archive": "delete"}


def _delete_everything(account_id: int, slot: str) -> int:
    """Every row of the account and its folders of files on disk; the number of messages deleted."""
    from wechat.messages.archive import media_root
    from wechat.messages.retention import delete_messages
    from wechat.sync.avatars import avatar_root

    # The row leaves the placement first (committed): the worker hands its listener over on its next tick instead
    # of writing into what is being deleted, and a deletion cut short leaves an archive that can be deleted again.
    account = db.session.get(Account, account_id)
    account.archived_slot = account.archived_slot or account.slot
    account.slot, account.paused, account.driver_settings = None, True, None
    account.archived_at = account.archived_at or utcnow()
    db.session.commit()
    _wait_until_stopped(slot)
    messages = delete_messages(Message.account_id == account_id)  # in batches, each with its media files
    # Media and pictures live in one folder per account (wechat/messages/media.py, wechat/sync/avatars.py): the
    # folder goes whole, files whose rows were already gone included.
    for root in (media_root(), avatar_root()):
        shutil.rmtree(Path(root) / str(int(account_id)), ignore_errors=True)
    # Foreign keys cascade from `accounts` to every table of the account (on SQLite too: libs/sqlite_tuning.py turns
    # them on for every connection), and audit entries are kept with their account set to NULL.
    db.session.execute(delete(Account).where(Account.id == account_id))
    return messages


def _wait_until_stopped(slot: str) -> None:
    """Deleting under a running listener would let it write into what is being deleted (its sync finds the account
    by puid and would create the row again). It stops within a placement period of leaving running_slots."""
    from wechat import control

    state = control.bot_state(account=slot)
    deadline = time.monotonic() + STOP_WAIT_PERIODS * float(current_app.config["PLACEMENT_INTERVAL"]) + 1
    while state.lease_holder() is not None:
        if time.monotonic() > deadline:
            raise AccountRefused(409, f"the account {slot!r} is stopped and archived (read-only) now, but its listener "
                                      "has not let go yet; delete it again in a few seconds", code="slot_busy")
        time.sleep(0.2)


def describe(account: Account) -> dict[str, Any]:
    """An account as the API and the CLI show it: never the key, only whether one is set."""
    settings = account.driver_settings or {}
    return {"id": account.id, "slot": account.slot, "nick_name": account.nick_name, "driver": account.driver,
            "paused": bool(account.paused), "archived": account.archived_at is not None,
            "archived_slot": account.archived_slot,
            "archived_at": account.archived_at.isoformat() if account.archived_at else None,
            "gateway_url": settings.get("base_url"), "has_key": bool(settings.get("key"))}
