"""/metrics with two accounts (#18): every account that should run has its own series, labelled by its slot and
never by its nick name (WeChat users choose those); a paused or removed account has none. Real Redis, real
database rows, the worker's own counting path (wechat/bot/batch.py)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from extensions import db
from libs import metrics
from models.send_job import SendJob, SendJobItem
from models.wechat import Account
from tests.deploy.test_metrics import scrape
from wechat.bot.batch import Batch
from wechat.bot.state import LOGIN_STATES
from wechat.control import bot_state
from wechat.messages.notifications import queue_arrived
from wechat.workers.slots import SLOT, add_account

HOSTILE_NICK = 'evil"} 1\nwechat_admin_logged_in{account="forged"} 1\n\\'
DEFAULT, SECOND = (("account", "default"),), (("account", "second"),)


@pytest.fixture(autouse=True)
def fresh_backoff():
    metrics.reset_backoff()
    yield
    metrics.reset_backoff()


def failed_job(account_id: int, status: str = "failed") -> SendJob:
    return SendJob(account_id=account_id, created_by="root", text="hi", total=1, status=status,
                   failed=int(status == "failed"),
                   items=[SendJobItem(position=0, recipient_puid="someone", status=status)])


@pytest.fixture
def two_accounts(app):
    """The default slot (its account row has no slot) logged in with a fresh listener; "second" (a padpro slot)
    logged out with unread messages; a paused third slot. Both rows carry hostile nick names."""
    first = Account(puid="self-default", nick_name=HOSTILE_NICK)
    db.session.add(first)
    second = add_account("second", "padpro", {"base_url": "http://gateway.invalid", "key": "k"})
    second.puid, second.nick_name = "self-second", HOSTILE_NICK
    add_account("paused-one", "padpro").paused = True
    db.session.flush()
    db.session.add_all([failed_job(first.id), failed_job(second.id), failed_job(second.id),
                        failed_job(second.id, "done")])
    db.session.commit()
    state = bot_state(app, account="default")
    assert state.acquire("task-1", 15)  # only the lease holder writes the listener and login state
    state.listener_started("task-1", "worker1@host")
    state.set_login("logged_in", nick_name=HOSTILE_NICK)
    state.wechat_error(2, "synccheck failed")
    other = bot_state(app, account="second")
    pipe = other.client.pipeline()
    queue_arrived(other, pipe, 3)
    pipe.execute()
    redis = app.extensions["redis"]
    redis.rpush("wechat.second", b"a", b"b")
    redis.rpush("wechat.paused-one", b"c")
    return app


def test_every_running_account_has_its_own_series(client, api_token, two_accounts):
    app = two_accounts
    metrics.incr("messages_stored", 5, account="default")
    batch = Batch()  # the message loop's path: counted per batch, sent with the batch's Redis commands
    batch.count("messages_stored", 2)
    batch.count("messages_received", 4)
    batch.send_redis(app.extensions["redis"], "second")
    metrics.incr("sends_failed", account="second")
    metrics.incr("messages_stored", 7, account="gone")  # a slot that no longer runs: not rendered
    response = client.get("/metrics", headers={"Authorization": f"Bearer {api_token}"})
    text = response.get_data(as_text=True)
    samples = scrape(client, headers={"Authorization": f"Bearer {api_token}"})

    accounts = {dict(labels)["account"] for family in samples.values() for labels in family
                if "account" in dict(labels)}
    assert accounts == {"default", "second"}, accounts  # not the paused slot, not "gone", nothing forged
    assert samples["wechat_admin_logged_in"] == {DEFAULT: 1, SECOND: 0}
    states = samples["wechat_admin_login_state"]
    assert {labels for labels, value in states.items() if value == 1} == {
        (("account", "default"), ("state", "logged_in")), (("account", "second"), ("state", "no_listener"))}
    assert len(states) == 2 * len(LOGIN_STATES)  # a state set: every state of every account, 0 or 1
    assert samples["wechat_admin_listener_up"] == {DEFAULT: 1, SECOND: 0}
    assert samples["wechat_admin_listener_starts_total"] == {DEFAULT: 1, SECOND: 0}
    assert samples["wechat_admin_wechat_consecutive_errors"] == {DEFAULT: 2, SECOND: 0}
    assert samples["wechat_admin_unread_messages"] == {DEFAULT: 0, SECOND: 3}
    assert samples["wechat_admin_send_jobs_failed"] == {DEFAULT: 1, SECOND: 2}
    assert samples["wechat_admin_account_messages_stored_total"] == {DEFAULT: 5, SECOND: 2}
    assert samples["wechat_admin_account_messages_received_total"] == {DEFAULT: 0, SECOND: 4}
    assert samples["wechat_admin_account_sends_failed_total"] == {DEFAULT: 0, SECOND: 1}
    # The installation's totals still count everything (the slot that is gone too).
    assert samples["wechat_admin_messages_stored_total"][()] == 14
    assert samples["wechat_admin_queue_length"] == {
        (("queue", "celery"),): 0, (("queue", "wechat.default"),): 0, (("queue", "wechat.second"),): 2}
    assert "evil" not in text and "forged" not in text  # nick names are never label values


def test_a_database_outage_keeps_the_redis_figures(client, api_token, two_accounts):
    """The scrape still answers with the default account's series when the accounts table cannot be read (the
    bearer token's own table still can: the token is checked first)."""
    db.session.execute(db.text("ALTER TABLE accounts RENAME TO accounts_unreadable"))
    db.session.commit()
    samples = scrape(client, headers={"Authorization": f"Bearer {api_token}"})
    assert samples["wechat_admin_logged_in"] == {DEFAULT: 1}
    assert "wechat_admin_send_jobs_failed" not in samples


def test_label_values_are_escaped_in_the_text_format(app):
    """Slots are validated (no quotes, backslashes or newlines), but the rendering must hold even if one were not:
    the label value comes back intact and forges no series."""
    odd = 'we"ird\\slot\nwechat_admin_logged_in{account="x"} 1'
    readers = metrics.AccountReaders(slots=lambda: [odd], bot_state=lambda slot: bot_state(app, account="default"),
                                     unread=lambda state: 0, failed_jobs=lambda: {odd: 3})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.RedisCollector(app, readers))
    text = generate_latest(registry).decode()
    found = {(sample.name, sample.labels.get("account")) for family in text_string_to_metric_families(text)
             for sample in family.samples if "account" in sample.labels}
    assert ("wechat_admin_send_jobs_failed", odd) in found
    assert {account for _, account in found} == {odd}


def test_counters_for_a_malformed_slot_count_only_in_the_total(app):
    metrics.incr("sends_ok", account="Not A Slot:x")
    redis = app.extensions["redis"]
    assert redis.hgetall(metrics.COUNTERS_KEY) == {b"sends_ok": b"1"}
    assert redis.hgetall(metrics.ACCOUNT_COUNTERS_KEY) == {}


def test_the_slot_rule_is_the_one_of_wechat_slots():
    """libs may not import wechat: the copy of the rule in libs/metrics.py is checked against the source here."""
    assert metrics.SLOT.pattern == SLOT.pattern and metrics.SLOT.flags == SLOT.flags
