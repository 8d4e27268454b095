"""/metrics: protected like every route, rendered from Redis so counters from any process show up."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from libs import metrics
from tests.fixtures.processes import ROOT, free_port


def scrape(client, **kwargs) -> dict[str, dict]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    samples: dict[str, dict] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.fixture(autouse=True)
def fresh_backoff():
    metrics.reset_backoff()
    yield
    metrics.reset_backoff()


def test_metrics_are_not_public(client, api_token):
    response = client.get("/metrics")  # a scraper, not a browser: a JSON 401, no redirect to the login page
    assert response.status_code == 401 and response.is_json
    assert client.get("/metrics", headers={"Authorization": "Bearer wxa_nope"}).status_code == 401


def test_session_and_bearer_token_both_work(logged_in, api_token, app):
    assert scrape(logged_in)["wechat_admin_redis_up"][()] == 1
    logged_in.get("/logout")
    other = app.test_client()
    assert scrape(other, headers={"Authorization": f"Bearer {api_token}"})["wechat_admin_redis_up"][()] == 1


def test_counters_durations_and_gauges(client, api_token, app):
    metrics.incr("messages_received")
    metrics.incr("messages_received", 2)
    metrics.incr("sends_failed")
    metrics.observe("sync_seconds_contacts", 1.5)
    metrics.observe("sync_seconds_contacts", 0.5)
    metrics.observe("sync_seconds_groups", 2.0)
    redis = app.extensions["redis"]
    redis.rpush("celery", b"a", b"b")
    redis.rpush("wechat.default\x06\x163", b"c")  # a priority sub-queue of the bot queue
    samples = scrape(client, headers={"Authorization": f"Bearer {api_token}"})
    assert samples["wechat_admin_messages_received_total"][()] == 3
    assert samples["wechat_admin_sends_failed_total"][()] == 1
    assert samples["wechat_admin_sync_seconds_count"][(("kind", "contacts"),)] == 2
    assert samples["wechat_admin_sync_seconds_sum"][(("kind", "contacts"),)] == 2.0
    assert samples["wechat_admin_sync_seconds_last"][(("kind", "groups"),)] == 2.0
    assert samples["wechat_admin_queue_length"] == {(("queue", "celery"),): 2, (("queue", "wechat.default"),): 1}
    default = (("account", "default"),)  # the default account's series (tests/deploy/test_metrics_accounts.py: many)
    assert samples["wechat_admin_listener_up"][default] == 0 and samples["wechat_admin_logged_in"][default] == 0
    assert samples["wechat_admin_listener_starts_total"][default] == 0


def test_listener_gauges_follow_the_heartbeat(client, api_token, app):
    from wechat.control import bot_state

    state = bot_state(app)
    assert state.acquire("task-1", 15)  # only the lease holder writes the listener and login state
    state.listener_started("task-1", "worker1@host")
    state.set_login("logged_in", nick_name="bot")
    samples = scrape(client, headers={"Authorization": f"Bearer {api_token}"})
    default = (("account", "default"),)
    assert samples["wechat_admin_listener_up"][default] == 1 and samples["wechat_admin_logged_in"][default] == 1
    assert 0 <= samples["wechat_admin_listener_heartbeat_age_seconds"][default] < 5
    assert samples["wechat_admin_listener_starts_total"][default] == 1


def test_a_counter_from_another_process_is_visible(client, api_token, app, tmp_path):
    code = ("from app import create_app; from libs.metrics import incr\n"
            "with create_app().app_context(): incr('messages_stored', 5)")
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "INSTANCE_PATH": str(tmp_path / "other"),
           "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    assert scrape(client, headers={"Authorization": f"Bearer {api_token}"})[
        "wechat_admin_messages_stored_total"][()] == 5


def test_helpers_never_raise_without_redis(app, client, api_token):
    app.extensions["redis"] = type(app.extensions["redis"]).from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    started = time.monotonic()
    metrics.incr("messages_received")
    metrics.observe("sync_seconds_contacts", 1.0)
    for _ in range(100):  # after one failure the helpers back off instead of paying a timeout per message
        metrics.incr("messages_received")
    assert time.monotonic() - started < 2
    samples = scrape(client, headers={"Authorization": f"Bearer {api_token}"})
    assert samples["wechat_admin_redis_up"][()] == 0


def test_bad_names_and_no_app_context_are_ignored(app):
    metrics.incr("Bad Name!")
    metrics.observe("", 1)
    assert app.extensions["redis"].hgetall(metrics.COUNTERS_KEY) == {}
