"""Which WeChat accounts run, and how each one connects: the configured default plus the accounts table.

An account's *slot* names everything of it that exists before anyone scans a QR code: its Redis keys
(`wx:<slot>:*`, wechat/bot/state.py), its bot queue (`wechat.<slot>`, libs/queues.py), its session files and its
listener. The default slot is `WECHAT_ACCOUNT` ("default") with the installation's own driver settings, so a
single-account installation needs no row; further accounts are rows of `accounts` with a slot (added with
`flask accounts add`), each with its driver and the driver's settings. Until its first login such a row holds a
placeholder puid; the first login binds the real one (`bind_slot`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app

from drivers.types import DRIVER_NAMES as DRIVERS
from extensions import db
from models.wechat import Account

SLOT = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)  # Redis keys, queue names, folder names: nothing else
PLACEHOLDER = "slot:"  # puid of an account that never logged in yet
# Driver settings an account row may set, and the config key each one overrides.
SETTINGS = {"base_url": "PADPRO_BASE_URL", "key": "PADPRO_KEY", "wechat_base_url": "WECHAT_BASE_URL",
            "login_mode": "WECHAT_LOGIN_MODE"}


class SlotError(ValueError):
    """A slot name or driver setting that cannot be used."""


def check_slot(name: str) -> str:
    if not isinstance(name, str) or not SLOT.fullmatch(name):
        raise SlotError("an account slot is 1 to 40 characters: lower-case letters, digits, '-' and '_', "
                        "starting with a letter or digit")
    return name


def default_slot(app: Flask | None = None) -> str:
    return (app or current_app).config["WECHAT_ACCOUNT"]


def running_slots(app: Flask | None = None) -> list[str]:
    """The slots that should run: the default one and every account row with a slot that is not paused."""
    app = app or current_app
    rows = db.session.execute(db.select(Account.slot).where(Account.slot.is_not(None), Account.paused.is_(False))
                              .order_by(Account.id)).scalars().all()
    db.session.rollback()  # a read-only look; never hold a transaction open in a long-running loop
    slots = [default_slot(app)]
    slots += [slot for slot in rows if slot not in slots]
    return slots


def slot_row(slot: str) -> Account | None:
    return db.session.execute(db.select(Account).where(Account.slot == slot)).scalar_one_or_none()


def slot_of_account(account_id: int | None, app: Flask | None = None) -> str:
    """The slot serving a database account (rows without one belong to the default slot)."""
    if account_id is not None:
        slot = db.session.execute(db.select(Account.slot).where(Account.id == account_id)).scalar_one_or_none()
        if slot:
            return slot
    return default_slot(app)


def account_config(slot: str, app: Flask | None = None) -> dict[str, Any]:
    """The app config as this slot's listener sees it: its row's driver and settings over the installation's."""
    app = app or current_app
    config = dict(app.config)
    config["WECHAT_ACCOUNT"] = slot
    if slot == default_slot(app):
        return config
    row = slot_row(slot)
    if row is None:
        return config
    if row.driver:
        config["WECHAT_DRIVER"] = row.driver
    for name, key in SETTINGS.items():
        value = (row.driver_settings or {}).get(name)
        if value:
            config[key] = str(value)
    return config


def add_account(slot: str, driver: str | None = None, settings: dict[str, str] | None = None) -> Account:
    """A new account row for `slot` (the caller commits). Unknown settings are refused, never stored."""
    check_slot(slot)
    if driver is not None and driver not in DRIVERS:
        raise SlotError(f"driver must be one of {', '.join(DRIVERS)}")
    unknown = set(settings or {}) - set(SETTINGS)
    if unknown:
        raise SlotError(f"unknown driver settings {sorted(unknown)}; known: {', '.join(SETTINGS)}")
    if slot == default_slot() or slot_row(slot) is not None:
        raise SlotError(f"the slot {slot!r} exists already")
    account = Account(puid=PLACEHOLDER + slot, nick_name="", slot=slot, driver=driver,
                      driver_settings=dict(settings or {}) or None)
    db.session.add(account)
    db.session.flush()
    return account


def bind_slot(slot: str, puid: str, nick_name: str) -> Account | None:
    """At a login of `slot`: the account row of the WeChat user now logged in carries the slot (the caller
    commits). The first login fills the placeholder row; a login of another WeChat user into the slot moves the
    slot (with its driver settings) to that user's row, keeping the previous user's archive under its own row."""
    holder = slot_row(slot)
    if holder is None:  # the default slot: its accounts are found by puid, as before
        if slot == default_slot():  # an archived WeChat user logged in again: its archive runs on (writable)
            db.session.execute(db.update(Account).where(Account.puid == puid, Account.archived_at.is_not(None))
                               .values(archived_at=None, archived_slot=None))
        return None
    if holder.puid == puid:
        holder.nick_name = nick_name or holder.nick_name
        return holder
    owner = db.session.execute(db.select(Account).where(Account.puid == puid)).scalar_one_or_none()
    if owner is None and holder.puid.startswith(PLACEHOLDER):
        holder.puid, holder.nick_name = puid, nick_name
        return holder
    if owner is None:
        owner = Account(puid=puid, nick_name=nick_name)
        db.session.add(owner)
    moved = {"driver": holder.driver, "driver_settings": holder.driver_settings, "paused": holder.paused}
    holder.slot = None
    db.session.flush()  # the unique slot is free before the new row takes it
    owner.slot, owner.nick_name = slot, nick_name or owner.nick_name
    owner.archived_at = owner.archived_slot = None  # an archived WeChat user back in a slot runs again
    for name, value in moved.items():
        setattr(owner, name, value)
    if holder.puid.startswith(PLACEHOLDER):
        db.session.delete(holder)
    db.session.flush()
    return owner
