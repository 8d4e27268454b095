"""The account service (wechat/account_admin.py) without the web: add, pause, resume, remove keeping the archive or
deleting all of it (SQLite here, and PostgreSQL/MariaDB where they run), and what the workers' placement makes of it."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from extensions import db
from models.audit import AuditLog
from models.message import Message
from models.wechat import Account, Contact, Group, Membership
from tests.accounts.conftest import World, _fill
from tests.fixtures.databases import engine_url  # noqa: F401  (fixture)
from wechat import account_admin as service
from wechat.bot import runtime
from wechat.bot.state import BotState
from wechat.messages.archive import media_root
from wechat.sync.avatars import avatar_root
from wechat.workers.placer import WORKERS_KEY, Placer
from wechat.workers.slots import account_config, running_slots

KEY = "gateway-key-never-shown"
LAN_GATEWAY = "http://10.1.2.3:8059/api"


def _add(slot: str = "shop", driver: str | None = "itchat", **settings) -> Account:
    return service.add_account(slot, driver, settings, actor="tester")


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.execute(db.select(AuditLog).where(AuditLog.action == action)).scalars())


def test_an_added_padpro_account_runs_with_its_gateway_and_its_key_is_never_shown(app):
    app.config["OUTBOUND_ALLOW_NETS"] = "10.0.0.0/8"
    account = _add("shop", "padpro", base_url=LAN_GATEWAY, key=KEY)
    assert running_slots() == ["default", "shop"]
    config = account_config("shop")
    assert (config["WECHAT_DRIVER"], config["PADPRO_BASE_URL"], config["PADPRO_KEY"]) == ("padpro", LAN_GATEWAY, KEY)
    shown = service.describe(account)
    assert shown["has_key"] is True and shown["gateway_url"] == LAN_GATEWAY and KEY not in json.dumps(shown)
    [entry] = _audit("account.add")
    assert entry.target == "shop" and entry.account_id == account.id and KEY not in json.dumps(entry.detail)
    assert entry.detail == {"driver": "padpro", "settings": ["base_url", "key"]}


@pytest.mark.parametrize("url, why", [
    ("javascript:alert(1)", "http"), ("file:///etc/passwd", "http"), ("ftp://gw.example.com/", "http"),
    ("http://user:pw@gw.example.com/", "user name"), ("http://:pw@gw.example.com/", "user name"),
    ("http://gw.example.com/\r\nX: y", "control"), ("http://127.0.0.1:6379/", "loopback"),
    ("http://169.254.169.254/latest/", "metadata"), ("http://2130706433/", "ambiguous"), ("http:///x", "host"),
    ("https://" + "a" * 2100 + ".com/", "long"),
])
def test_hostile_gateway_urls_are_refused_and_nothing_is_stored(app, url, why):
    with pytest.raises(service.AccountRefused) as refused:
        _add("shop", "padpro", base_url=url, key=KEY)
    assert refused.value.status == 400 and refused.value.field == "base_url"
    assert why in refused.value.message.lower() and KEY not in refused.value.message
    assert db.session.execute(db.select(Account)).first() is None and not _audit("account.add")


@pytest.mark.parametrize("slot, driver, settings, status, field", [
    ("Shop", "itchat", {}, 400, "slot"), ("../x", "itchat", {}, 400, "slot"), ("x" * 41, "itchat", {}, 400, "slot"),
    (7, "itchat", {}, 400, "slot"), ("shop", "telegram", {}, 400, "driver"),
    ("shop", "padpro", {"base_url": LAN_GATEWAY}, 400, "key"),  # a padpro account needs its own key
    ("shop", "itchat", {"key": KEY}, 400, "key"),  # a gateway key on itchat would be a secret lying around
    ("shop", "padpro", {"key": "k\x00ey"}, 400, "key"), ("shop", "padpro", {"key": "k" * 257}, 400, "key"),
    ("shop", "padpro", {"key": 5}, 400, "key"), ("shop", "itchat", {"password": "x"}, 400, "password"),
    ("default", "itchat", {}, 409, "slot"),  # the installation's own slot
])
def test_bad_input_is_refused_with_its_field(app, slot, driver, settings, status, field):
    app.config["OUTBOUND_ALLOW_NETS"] = "10.0.0.0/8"
    with pytest.raises(service.AccountRefused) as refused:
        service.add_account(slot, driver, settings, actor="tester")
    assert (refused.value.status, refused.value.field) == (status, field), refused.value.message


def test_a_duplicate_slot_is_a_conflict(app):
    _add("shop")
    with pytest.raises(service.AccountRefused) as refused:
        _add("shop")
    assert refused.value.status == 409 and refused.value.code == "duplicate"


def test_pause_and_resume_change_what_runs_and_leave_an_audit_trail(app):
    account = _add("shop")
    service.set_paused(account, True, actor="tester")
    assert running_slots() == ["default"]
    service.set_paused(account, False, actor="tester")
    assert running_slots() == ["default", "shop"]
    assert [entry.target for entry in _audit("account.pause") + _audit("account.resume")] == ["shop", "shop"]


def test_the_default_account_cannot_be_paused_or_removed_here(app):
    legacy = Account(puid="wxid_default", nick_name="默认")
    db.session.add(legacy)
    db.session.commit()
    for change in (lambda: service.set_paused(legacy, True, actor="t"),
                   lambda: service.remove_account(legacy, "keep", actor="t"),
                   lambda: service.remove_account(legacy, "delete", actor="t", confirm="")):
        with pytest.raises(service.AccountRefused) as refused:
            change()
        assert refused.value.code == "default_account"
    assert db.session.get(Account, legacy.id) is not None


def _placer_holding(app, slot: str) -> tuple[Placer, list[str], BotState]:
    """This worker runs `slot`'s listener (its lease and listener record name it); what the listener is told."""
    client = app.extensions["redis"]
    state = BotState(client, slot)
    assert state.acquire("task-1", 30)
    state.listener_started("task-1", "me@host")
    client.hset(WORKERS_KEY, "me@host", json.dumps({"at": time.time(), "cap": 10}))
    stops: list[str] = []

    class RunningListener:  # the edge: a real one needs WeChat; the placer only calls stop()
        def stop(self, reason: str, shutting_down: bool = False) -> None:
            stops.append(reason)

    runtime.set_listener(RunningListener(), slot)
    app.extensions["celery"].send_task = lambda name, **kw: type("R", (), {"id": "t"})()
    return Placer(app, "me@host"), stops, state


def _forget_listener(slot: str) -> None:
    runtime.clear_listener(runtime.current_listener(slot), slot)


@pytest.mark.parametrize("change", ["pause", "keep", "delete"])
def test_pausing_or_removing_a_running_account_stops_its_listener_on_the_next_tick(app, change):
    app.config["PLACEMENT_INTERVAL"] = 0.2
    account = _add("shop")
    account_id = account.id
    placer, stops, state = _placer_holding(app, "shop")
    try:
        assert "shop" not in placer.tick().release and stops == []
        if change == "pause":
            service.set_paused(account, True, actor="tester")
        elif change == "keep":
            service.remove_account(account, change, actor="tester", confirm="shop")
        else:
            # Its listener still holds the slot: the deletion stops and archives the account, then waits for the
            # listener to let go (here it never does: the stand-in ignores stop) and says to try again.
            with pytest.raises(service.AccountRefused) as refused:
                service.remove_account(account, "delete", actor="tester", confirm="shop")
            assert refused.value.code == "slot_busy"
            assert db.session.get(Account, account_id).archived_slot == "shop"
        assert "shop" in placer.tick().release
        assert stops == ["handover"]
    finally:
        _forget_listener("shop")
    assert "shop" not in runtime.listeners()
    if change == "delete":  # the listener let go: the archive is deleted
        assert state.release("task-1", "handover")
        service.remove_account(db.session.get(Account, account_id), "delete", actor="tester", confirm="shop")
        db.session.expire_all()
        assert db.session.get(Account, account_id) is None


def test_removing_and_keeping_the_archive_frees_the_slot_and_keeps_the_data(app):
    app.config["OUTBOUND_ALLOW_NETS"] = "10.0.0.0/8"
    account = _add("shop", "padpro", base_url=LAN_GATEWAY, key=KEY)
    world = World(account, account)
    _fill(account, "s", world)
    db.session.commit()
    with pytest.raises(service.AccountRefused) as refused:
        service.remove_account(account, "keep", actor="tester", confirm="shpo")
    assert refused.value.field == "confirm"
    done = service.remove_account(account, "keep", actor="tester")
    assert done == {"id": account.id, "slot": "shop", "archive": "keep"}
    kept = db.session.get(Account, account.id)
    assert kept.slot is None and kept.archived_slot == "shop" and kept.archived_at is not None
    assert kept.driver_settings is None  # the key left with the account's running
    assert running_slots() == ["default"]
    assert db.session.execute(db.select(sa.func.count()).select_from(Message).where(
        Message.account_id == account.id)).scalar() == 1
    for change in (lambda: service.set_paused(kept, True, actor="t"), lambda: service.remove_account(
            kept, "keep", actor="t")):
        with pytest.raises(service.AccountRefused) as refused:
            change()
        assert refused.value.status == 409 and refused.value.code == "archived"
    again = _add("shop")  # the slot (and the never-logged-in placeholder puid) is free for a new account
    assert again.id != account.id and running_slots() == ["default", "shop"]
    assert service.account_by_slot("shop").id == again.id


def _fill_everything(account: Account, tag: str) -> None:
    """Rows in every table of an account, and files in its media and picture folders."""
    world = World(account, account)
    _fill(account, tag, world)
    contact = db.session.execute(db.select(Contact).where(Contact.account_id == account.id)).scalars().first()
    group = db.session.get(Group, world.groups[tag])
    db.session.add(Membership(group_id=group.id, contact_id=contact.id, display_name="m"))
    db.session.add(Message(account_id=account.id, msg_id=f"{tag}-file", type="image", chat_kind="friend",
                           chat_puid=contact.puid, text="", file_path=f"{account.id}/2026-11/{tag}.jpg",
                           created_at=group.updated_at))
    for root, name in ((media_root(), f"2026-11/{tag}.jpg"), (avatar_root(), f"contacts/{tag}.jpg")):
        path = root / str(account.id) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8 not really a picture")
    db.session.commit()


def _rows_of(account_id: int) -> dict[str, int]:
    """Per table with an account: the rows of `account_id` (child tables counted through their parents)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if "account_id" in table.c and table.name != "audit_log":
            counts[table.name] = db.session.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.account_id == account_id)).scalar()
    tables = db.metadata.tables
    for child, parent, key in (("memberships", "groups", "group_id"), ("send_job_items", "send_jobs", "job_id"),
                               ("schedule_runs", "schedules", "schedule_id")):
        if child in tables:
            parents = sa.select(tables[parent].c.id).where(tables[parent].c.account_id == account_id)
            counts[child] = db.session.execute(sa.select(sa.func.count()).select_from(tables[child]).where(
                tables[child].c[key].in_(parents))).scalar()
    return counts


def _delete_and_check() -> None:
    doomed, other = _add("doomed"), _add("other")
    for account, tag in ((doomed, "d"), (other, "o")):
        _fill_everything(account, tag)
    doomed_id, other_before = doomed.id, _rows_of(other.id)
    assert all(_rows_of(doomed_id)[name] for name in ("contacts", "groups", "messages", "memberships", "send_jobs"))
    with pytest.raises(service.AccountRefused) as refused:
        service.remove_account(doomed, "delete", actor="tester")  # no confirmation
    assert refused.value.field == "confirm" and db.session.get(Account, doomed_id) is not None
    done = service.remove_account(doomed, "delete", actor="tester", confirm="doomed")
    assert done == {"id": doomed_id, "slot": "doomed", "archive": "delete"}
    db.session.expire_all()
    assert db.session.get(Account, doomed_id) is None
    assert set(_rows_of(doomed_id).values()) == {0}
    assert _rows_of(other.id) == other_before  # the other account lost nothing
    assert not (media_root() / str(doomed_id)).exists() and not (avatar_root() / str(doomed_id)).exists()
    assert (media_root() / str(other.id) / "2026-11" / "o.jpg").exists()
    # The audit trail stays, the deletion in it; the entries no longer point at a row that is gone.
    entries = db.session.execute(db.select(AuditLog).where(AuditLog.target == "doomed")
                                 .order_by(AuditLog.id)).scalars().all()
    assert [entry.action for entry in entries] == ["account.add", "account.delete"]
    assert {entry.account_id for entry in entries} == {None}
    assert running_slots() == ["default", "other"]


def test_deleting_removes_every_row_and_file_of_the_account_and_nothing_else(app):
    _delete_and_check()


def test_deleting_on_a_real_engine(engine_url, tmp_path, redis_server):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url, "SECRET_KEY": "x", "REDIS_URL": redis_server.url},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        try:
            _delete_and_check()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_an_archive_can_be_deleted_later_with_its_old_slot_name(app):
    account_id = _add("shop").id
    service.remove_account(db.session.get(Account, account_id), "keep", actor="tester")
    archived = service.account_by_slot("shop")
    assert archived.id == account_id
    with pytest.raises(service.AccountRefused):
        service.remove_account(archived, "delete", actor="tester", confirm="")
    service.remove_account(archived, "delete", actor="tester", confirm="shop")
    db.session.expire_all()
    assert db.session.get(Account, account_id) is None


def test_the_cli_uses_the_same_service(app, runner):
    refused = runner.invoke(args=["accounts", "add", "shop", "--driver", "padpro", "--setting",
                                  "base_url=javascript:alert(1)", "--setting", f"key={KEY}"])
    assert refused.exit_code != 0 and "http" in refused.output and KEY not in refused.output
    # The server's operator may point an account at a gateway on this machine (only the URL's form is checked).
    added = runner.invoke(args=["accounts", "add", "shop", "--driver", "padpro", "--setting",
                                "base_url=http://127.0.0.1:8059/", "--setting", f"key={KEY}"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(args=["accounts", "add", "shop"]).exit_code != 0  # a duplicate
    assert runner.invoke(args=["accounts", "remove", "shop"]).exit_code != 0  # --archive is required
    kept = runner.invoke(args=["accounts", "remove", "shop", "--archive", "keep"])
    assert kept.exit_code == 0 and "archived" in kept.output, kept.output
    listed = runner.invoke(args=["accounts", "list"]).output
    assert "shop\tpadpro\tarchived" in listed and KEY not in listed
    wrong = runner.invoke(args=["accounts", "remove", "shop", "--archive", "delete"], input="shpo\n")
    assert wrong.exit_code != 0 and db.session.execute(db.select(Account)).first() is not None
    deleted = runner.invoke(args=["accounts", "remove", "shop", "--archive", "delete"], input="shop\n")
    assert deleted.exit_code == 0, deleted.output
    db.session.expire_all()
    assert db.session.execute(db.select(Account)).first() is None
    assert [entry.actor for entry in _audit("account.delete")] == ["cli"]


def test_an_archived_wechat_user_who_logs_in_again_is_no_archive_any_more(app):
    from wechat.accounts import ensure_account
    from wechat.workers.slots import bind_slot

    first = _add("shop")
    bind_slot("shop", "wxid_user", "店铺")
    db.session.commit()
    service.remove_account(first, "keep", actor="tester")
    assert db.session.get(Account, first.id).archived_at is not None
    # In a new slot: the slot moves to the user's row, which runs again (writable) with its old archive.
    _add("shop-2")
    back = bind_slot("shop-2", "wxid_user", "店铺")
    db.session.commit()
    assert back.id == first.id and back.slot == "shop-2" and back.archived_at is None and back.archived_slot is None
    # Through the default slot (found by puid): the same, at the login; a sync (ensure_account) alone does not
    # (the removed account's listener may sync once more while it stops).
    service.remove_account(back, "keep", actor="tester")
    assert ensure_account("wxid_user", "店铺").archived_at is not None
    assert bind_slot("default", "wxid_user", "店铺") is None
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Account, first.id).archived_at is None


def test_a_slot_used_before_starts_without_the_earlier_session(app):
    """The earlier account's itchat session must not log the new account in as the earlier WeChat user."""
    session = media_root().parent / "wechat" / "shop" / "itchat.pkl"
    account = _add("shop")
    session.parent.mkdir(parents=True, exist_ok=True)
    session.write_bytes(b"earlier user's session")
    state = BotState(app.extensions["redis"], "shop")
    assert state.acquire("task-1", 30)  # its listener runs: removal asks it to stop, it has not yet
    service.remove_account(account, "keep", actor="tester")
    with pytest.raises(service.AccountRefused) as refused:
        _add("shop")
    assert refused.value.status == 409 and refused.value.code == "slot_busy" and session.exists()
    state.release("task-1", "handover")
    client = app.extensions["redis"]
    client.set("wx:shop:delivery_checkpoint", "earlier gateway's sync key")
    client.hset("wx:shop:unread", "chat", 3)
    client.set("wx:shop-two:delivery_checkpoint", "another slot's, kept")  # a slot whose name starts the same
    _add("shop")
    assert not session.exists()
    left = sorted(key.decode() for key in client.scan_iter(match="wx:shop*"))
    assert left and all(key.startswith("wx:shop:lease") for key in left if key.startswith("wx:shop:")), left
    assert client.get("wx:shop-two:delivery_checkpoint") == b"another slot's, kept"
    assert state.acquire("task-2", 30) > 1  # the generation counter survived: the earlier listener stays fenced
