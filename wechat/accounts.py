"""The Account row of the logged-in WeChat user (every synced or archived row belongs to one)."""

from __future__ import annotations

from extensions import db
from models.types import utcnow
from models.wechat import Account


def ensure_account(puid: str, nick_name: str) -> Account:
    """Find or create the account by the bot's own puid; keep its nick name current (the caller commits)."""
    account = db.session.execute(db.select(Account).where(Account.puid == puid)).scalar_one_or_none()
    if account is None:
        account = Account(puid=puid, nick_name=nick_name)
        db.session.add(account)
        db.session.flush()
    elif account.nick_name != nick_name:
        account.nick_name = nick_name
    return account


def account_of_bot(bot) -> Account:
    """The account of the live connection: a wxpy Bot (its puid) or a seam driver (its own, stable id)."""
    from wechat.seam import directory_of, is_driver

    if is_driver(bot):
        me = directory_of(bot).me()
        return ensure_account(me.id, me.nick_name)
    return ensure_account(bot.self.puid, bot.self.nick_name or "")


def login_account(state_login: dict) -> Account | None:
    """The account the web side shows: the one logged in now, or else the most recently seen."""
    puid = state_login.get("puid")
    if puid:
        account = db.session.execute(db.select(Account).where(Account.puid == puid)).scalar_one_or_none()
        if account is not None:
            return account
    # "IS NULL" first in the sort key puts never-logged-in accounts last on every engine (MySQL lacks NULLS LAST).
    newest = db.select(Account).order_by(Account.last_login_at.is_(None), Account.last_login_at.desc(),
                                         Account.id.desc()).limit(1)
    return db.session.execute(newest).scalar_one_or_none()


def touch_login(account: Account) -> None:
    account.last_login_at = utcnow()
