"""CLI commands: `flask create-admin`, `flask create-token`, `flask ensure-admin`, `flask deactivate-admin`,
`flask revoke-sessions`, `flask accounts add|list|pause|resume|remove` (WeChat accounts the workers run: the same
service as the dashboard, wechat/account_admin.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import Flask

from extensions import db
from libs.validation import ValueInvalid, check_column
from models.admin import ADMIN_ROLES, TOKEN_SCOPES, AdminUser, ApiToken
from models.audit import record
from models.types import utcnow

MIN_PASSWORD_LENGTH = 8
MAX_TOKEN_DAYS = 3660


def _display_name(column, value: str, hint: str) -> str:
    """A name other admins read: stored alike on every engine, no bidi controls (libs/validation.py)."""
    try:
        return check_column(column, value.strip(), hint, display_name=True)
    except ValueInvalid as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None


def _find_admin(username: str) -> AdminUser | None:
    return db.session.execute(db.select(AdminUser).where(AdminUser.username == username)).scalar_one_or_none()


@click.command("create-admin")
@click.argument("username")
@click.option("--password", help="Read from a prompt when not given (keeps it out of shell history).")
@click.option("--update", is_flag=True, help="Set a new password if the admin exists.")
@click.option("--role", type=click.Choice(ADMIN_ROLES), default=None,
              help="owner (default for a new admin): everything; member: only the WeChat accounts an owner grants "
                   "(dashboard: Admins → Access).")
def create_admin(username: str, password: str | None, update: bool, role: str | None) -> None:
    """Create an admin (or, with --update, reset an admin's password)."""
    username = _display_name(AdminUser.username, username, "USERNAME")
    if not username:
        raise click.BadParameter("username must be 1 to 80 characters", param_hint="USERNAME")
    admin = _find_admin(username)
    if admin is not None and not update:
        raise click.ClickException(f"admin {username!r} exists; pass --update to set a new password")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password")
    if admin is None:
        admin = AdminUser(username=username, role=role or "owner")
        db.session.add(admin)
        admin.set_password(password)
    else:
        admin.change_password(password)  # a reset ends every session and token of the old password
        if role is not None:
            admin.role = role
    record("cli", "admin.update" if update else "admin.create", target=username)
    db.session.commit()
    click.echo(f"admin {username!r} {'updated' if update else 'created'}")


@click.command("create-token")
@click.argument("name")
@click.option("--admin", "username", help="Owner of the token (needed when there are several admins).")
@click.option("--scope", type=click.Choice(TOKEN_SCOPES), default="admin", show_default=True,
              help="read: GET only; metrics: only /metrics (for Prometheus); admin: everything.")
@click.option("--expires-days", type=click.IntRange(1, MAX_TOKEN_DAYS), help="Expire after this many days.")
def create_token(name: str, username: str | None, scope: str, expires_days: int | None) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    if username:
        admin = _find_admin(username)
        if admin is None:
            raise click.ClickException(f"no admin named {username!r}")
    else:
        admins = db.session.execute(db.select(AdminUser).limit(2)).scalars().all()
        if len(admins) != 1:
            raise click.ClickException("pass --admin USERNAME" if admins else "create an admin first")
        admin = admins[0]
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    token, clear = ApiToken.issue(admin, _display_name(ApiToken.name, name, "NAME") or "token", scope, expires_at)
    db.session.add(token)
    record("cli", "token.create", target=token.name,
           detail={"admin": admin.username, "scope": scope, "expires_at": expires_at and expires_at.isoformat()})
    db.session.commit()
    click.echo(clear)


@click.command("ensure-admin")
def ensure_admin() -> None:
    """First run: create 'admin' with a random password, printed once. Does nothing if an admin exists."""
    if db.session.execute(db.select(AdminUser.id).limit(1)).first() is not None:
        return
    password = secrets.token_urlsafe(12)
    admin = AdminUser(username="admin")
    admin.set_password(password)
    db.session.add(admin)
    record("cli", "admin.create", target="admin", reason="first run")
    db.session.commit()
    banner = "=" * 64
    click.echo(f"{banner}\nFirst run: created admin 'admin' with password: {password}\n"
               f"It is shown only now. Change it with: flask create-admin admin --update\n{banner}")


def _existing_admin(username: str) -> AdminUser:
    admin = _find_admin(username.strip())
    if admin is None:
        raise click.ClickException(f"no admin named {username!r}")
    return admin


@click.command("deactivate-admin")
@click.argument("username")
@click.option("--activate", is_flag=True, help="Let a deactivated admin sign in again (old sessions stay ended).")
def deactivate_admin(username: str, activate: bool) -> None:
    """Deactivate an admin: every session and API token of theirs ends at once and they cannot sign in."""
    admin = _existing_admin(username)
    if activate:
        admin.is_active_flag = True
        record("cli", "admin.activate", target=admin.username)
    else:
        admin.deactivate()
        record("cli", "admin.deactivate", target=admin.username)
    db.session.commit()
    click.echo(f"admin {admin.username!r} {'activated' if activate else 'deactivated'}")


@click.command("revoke-sessions")
@click.argument("username")
def revoke_sessions(username: str) -> None:
    """Sign an admin out everywhere: every session, remember-me cookie and API token of theirs ends now."""
    admin = _existing_admin(username)
    admin.revoke_sessions()
    record("cli", "admin.sessions_revoke", target=admin.username)
    db.session.commit()
    click.echo(f"every session and token of {admin.username!r} is revoked")


@click.group("accounts")
def accounts() -> None:
    """WeChat accounts the workers run: the default one (WECHAT_ACCOUNT) plus these."""


def _refused(refused) -> click.ClickException:
    """A refusal of wechat/account_admin.py: bad input names its parameter; a conflict or unknown slot is plain."""
    from wechat.workers.slots import SETTINGS

    if refused.status != 400:
        return click.ClickException(refused.message)
    field = refused.field or ""
    hint = "--setting" if field in SETTINGS else f"--{field}" if field in ("driver", "archive") else "SLOT"
    return click.BadParameter(refused.message, param_hint=hint)


@accounts.command("add")
@click.argument("slot")
@click.option("--driver", help="itchat or padpro (default: WECHAT_DRIVER).")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              help="A driver setting: base_url, key (the gateway's; a secret), wechat_base_url, login_mode.")
def add_account_command(slot: str, driver: str | None, settings: tuple[str, ...]) -> None:
    """Add an account SLOT (its Redis keys wx:SLOT:*, bot queue wechat.SLOT); a worker starts its listener."""
    from wechat.account_admin import AccountRefused, add_account

    pairs = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter("use NAME=VALUE", param_hint="--setting")
        pairs[name.strip()] = value.strip()
    try:
        # The server's operator: a gateway on the LAN or this machine is fine here (only the URL's form is checked).
        account = add_account(slot, driver.strip().lower() if driver else None, pairs, actor="cli",
                              guard_network=False)
    except AccountRefused as refused:
        raise _refused(refused) from None
    click.echo(f"account {slot!r} added (id {account.id}); a worker starts its listener within a few seconds")


@accounts.command("list")
def list_accounts_command() -> None:
    """The accounts that run (the default first), with their driver and whether paused; never a key."""
    from flask import current_app

    from models.wechat import Account

    click.echo(f"{current_app.config['WECHAT_ACCOUNT']}\t{current_app.config['WECHAT_DRIVER']}\t(default)")
    for account in db.session.execute(db.select(Account).where(
            (Account.slot.is_not(None)) | (Account.archived_at.is_not(None))).order_by(Account.id)).scalars():
        state = "archived" if account.archived_at else "paused" if account.paused else "running"
        click.echo(f"{account.slot or account.archived_slot}\t{account.driver or current_app.config['WECHAT_DRIVER']}"
                   f"\t{state}\t{account.nick_name}")


def _set_paused(slot: str, paused: bool) -> None:
    from wechat.account_admin import AccountRefused, account_by_slot, set_paused

    try:
        set_paused(account_by_slot(slot), paused, actor="cli")
    except AccountRefused as refused:
        raise _refused(refused) from None
    click.echo(f"account {slot!r} {'paused' if paused else 'resumed'}")


@accounts.command("pause")
@click.argument("slot")
def pause_account_command(slot: str) -> None:
    """No worker starts this account's listener any more (a running one is handed over and not taken again)."""
    _set_paused(slot, True)


@accounts.command("resume")
@click.argument("slot")
def resume_account_command(slot: str) -> None:
    _set_paused(slot, False)


@accounts.command("remove")
@click.argument("slot")
@click.option("--archive", type=click.Choice(["keep", "delete"]), required=True,
              help="keep: stop it and free the slot, its data stays readable (read-only); delete: every row and "
                   "file of the account (audit entries stay).")
@click.option("--yes", is_flag=True, help="Do not ask for the slot name before deleting.")
def remove_account_command(slot: str, archive: str, yes: bool) -> None:
    """Remove the account SLOT (an archived one too, with --archive delete); the worker stops its listener."""
    from wechat.account_admin import AccountRefused, account_by_slot, remove_account

    try:
        account = account_by_slot(slot)
        confirm = slot if yes or archive == "keep" else click.prompt(f"Type {slot!r} to delete all of it")
        remove_account(account, archive, actor="cli", confirm=confirm)
    except AccountRefused as refused:
        raise _refused(refused) from None
    click.echo(f"account {slot!r} {'archived (read-only)' if archive == 'keep' else 'deleted'}")


def register_commands(app: Flask) -> None:
    for command in (create_admin, create_token, ensure_admin, deactivate_admin, revoke_sessions, accounts):
        app.cli.add_command(command)
