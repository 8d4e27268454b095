"""Many accounts, worker side, without processes: which accounts run (wechat/workers/slots.py), the CLI that adds one,
binding a slot at login, the placement tick against a real Redis (wechat/workers/placer.py), and beat's lock."""

from __future__ import annotations

import time

import pytest

from extensions import db
from models.send_job import SendJob
from models.wechat import Account
from wechat import control
from wechat.bot import runtime
from wechat.bot.state import BotState
from wechat.workers.beat_lock import BeatLock
from wechat.workers.placer import WORKERS_KEY, Placer, holder_of
from wechat.workers.slots import PLACEHOLDER, SlotError, account_config, add_account, bind_slot, running_slots


def test_a_fresh_installation_runs_the_default_account_only(app):
    assert running_slots() == [app.config["WECHAT_ACCOUNT"]]


def test_cli_adds_an_account_with_its_driver_and_never_prints_its_key(app, runner):
    result = runner.invoke(args=["accounts", "add", "shop", "--driver", "padpro", "--setting",
                                 "base_url=http://127.0.0.1:9/a/shop", "--setting", "key=very-secret"])
    assert result.exit_code == 0, result.output
    assert running_slots() == ["default", "shop"]
    config = account_config("shop")
    assert (config["WECHAT_DRIVER"], config["PADPRO_BASE_URL"], config["PADPRO_KEY"]) == \
        ("padpro", "http://127.0.0.1:9/a/shop", "very-secret")
    assert account_config("default")["WECHAT_DRIVER"] == app.config["WECHAT_DRIVER"]
    listed = runner.invoke(args=["accounts", "list"])
    assert "shop\tpadpro\trunning" in listed.output and "very-secret" not in listed.output
    assert runner.invoke(args=["accounts", "pause", "shop"]).exit_code == 0
    assert running_slots() == ["default"]


@pytest.mark.parametrize("slot", ["", "Shop", "a b", "../x", "x" * 41, "-x", "默认", "shop\n"])
def test_hostile_slot_names_are_refused(app, runner, slot):
    result = runner.invoke(args=["accounts", "add", slot])
    assert result.exit_code != 0 and "slot" in result.output.lower()
    with pytest.raises(SlotError):
        add_account(slot)


def test_unknown_settings_drivers_and_duplicates_are_refused(app):
    with pytest.raises(SlotError):
        add_account("a", settings={"password": "x"})
    with pytest.raises(SlotError):
        add_account("a", driver="telegram")
    add_account("a")
    with pytest.raises(SlotError):
        add_account("a")
    with pytest.raises(SlotError):
        add_account("default")


def test_the_first_login_binds_the_slot_and_a_new_user_moves_it(app):
    add_account("shop", driver="padpro", settings={"key": "k"})
    db.session.commit()
    first = bind_slot("shop", "wxid_one", "店铺一")
    db.session.commit()
    assert first.puid == "wxid_one" and first.slot == "shop"
    assert db.session.execute(db.select(db.func.count()).select_from(Account)).scalar() == 1
    # Another WeChat user scans into the same slot: the slot moves, the first user's row (and archive) stays.
    second = bind_slot("shop", "wxid_two", "店铺二")
    db.session.commit()
    assert second.id != first.id and second.slot == "shop" and second.driver == "padpro"
    assert db.session.get(Account, first.id).slot is None
    assert bind_slot("default", "wxid_three", "x") is None  # the default slot finds its accounts by puid
    assert not any(row.puid.startswith(PLACEHOLDER) for row in db.session.execute(db.select(Account)).scalars())


def test_a_send_job_goes_to_its_accounts_queue(app):
    shop = add_account("shop")
    legacy = Account(puid="legacy", nick_name="")
    db.session.add(legacy)
    db.session.flush()
    jobs = [SendJob(created_by="t", reason="t", account_id=account_id, text="hi", files=[], total=0)
            for account_id in (shop.id, legacy.id, None)]
    db.session.add_all(jobs)
    db.session.commit()
    assert [control._job_account(job.id, app) for job in jobs] == ["shop", "default", None]


def test_the_context_account_is_what_control_uses_when_none_is_given(app):
    assert control.bot_state().account == app.config["WECHAT_ACCOUNT"]
    control.use_account("shop")
    assert control.bot_state().account == "shop" and control.current_account() == "shop"
    assert control.bot_state(account="tea").account == "tea"


def test_runtime_keeps_one_bot_and_listener_per_account():
    class Bot:
        alive = True

    runtime.set_default_account("default")
    one, two = Bot(), Bot()
    runtime.set_bot(one, "a")
    runtime.set_bot(two, "b")
    assert runtime.current_bot("a") is one and runtime.current_bot("b") is two
    with pytest.raises(runtime.BotNotReady):
        runtime.current_bot()
    runtime.clear_bot("a")
    with pytest.raises(runtime.BotNotReady):
        runtime.current_bot("a")
    runtime.set_listener("old", "a")
    runtime.set_listener("new", "a")
    runtime.clear_listener("old", "a")  # a predecessor ending late leaves its successor's slot alone
    assert runtime.current_listener("a") == "new" and runtime.listeners() == {"a": "new"}
    runtime.clear_listener("new", "a")
    runtime.clear_bot("b")


def test_the_placement_tick_takes_free_accounts_and_reads_holders_from_redis(app):
    client = app.extensions["redis"]
    for slot in ("s1", "s2", "s3"):
        add_account(slot)
    db.session.commit()
    # Another live worker holds s1 (lease + listener record naming it); s3 is paused in Redis and free.
    other = BotState(client, "s1")
    assert other.acquire("task-x", 30)
    other.listener_started("task-x", "other@host")
    assert holder_of(other) == "other@host"
    BotState(client, "s3").set_paused("refused")
    client.hset(WORKERS_KEY, "other@host", f'{{"at": {time.time()}, "cap": 10}}')
    sent = []
    app.extensions["celery"].send_task = lambda name, **kw: sent.append((name, kw)) or type(
        "R", (), {"id": f"t{len(sent)}"})()
    decision = Placer(app, "me@host").tick()
    assert sorted(decision.take) == ["default", "s2"]  # s1 is held, s3 is paused
    assert sorted(kw["kwargs"]["account"] for _, kw in sent) == ["default", "s2"]
    assert all(kw["kwargs"]["worker"] == "me@host" for _, kw in sent)
    # The launches are on their way: the next tick takes nothing twice.
    assert Placer(app, "me@host").tick().take == []


def test_one_beat_holds_the_lock_and_another_takes_over_when_it_stops_renewing(redis_server):
    client = redis_server.client()
    client.delete("wx:beat:lock")
    first, second = BeatLock(client, "first", ttl=1), BeatLock(client, "second", ttl=1)
    assert first.hold() and not second.hold()
    assert first.hold() and not second.hold()  # renewing keeps it
    time.sleep(1.3)  # the first beat died (no renewal): the lock expires
    assert second.hold() and not first.hold()
    second.release()
    assert first.hold()
    first.release()


def test_a_launch_sent_to_a_worker_that_died_does_not_hold_the_account(app):
    client = app.extensions["redis"]
    state = BotState(client, "default")
    sent = []
    app.extensions["celery"].send_task = lambda name, **kw: sent.append(kw) or type("R", (), {"id": "t"})()
    control.launch_listener(app, account="default", worker="dead@host")
    assert holder_of(state, {"dead@host": 5}) == "?"  # on its way to a live worker: held
    assert holder_of(state, {"me@host": 5}) is None  # its worker is gone: free
    client.hset(WORKERS_KEY, "me@host", f'{{"at": {time.time()}, "cap": 5}}')
    assert Placer(app, "me@host").tick().take == ["default"]
    assert [kw["kwargs"]["worker"] for kw in sent] == ["dead@host", "me@host"]
