"""publish() and the per-process event hub against a real Redis: ordering, replay, slow clients, inert payloads."""

from __future__ import annotations

import json

import pytest

from libs.events import CHANNEL, STREAM_KEY, publish, publish_many
from libs.sse import EventHub, StreamOptions, event_stream, read_after, valid_event_id
from tests.fixtures.processes import wait_for


@pytest.fixture(scope="module")
def hub(redis_server):
    hub = EventHub(redis_server.url)
    yield hub
    hub.stop()


@pytest.fixture
def redis_client(app):
    from libs.redis_client import get_redis

    return get_redis()


def options(last_id=None, wanted=None, heartbeat=5.0, queue_size=100) -> StreamOptions:
    return StreamOptions(last_id=last_id, wanted=wanted, heartbeat_seconds=heartbeat, retry_ms=3000,
                         queue_size=queue_size)


def test_publish_appends_to_the_stream_and_announces_on_the_channel(app, redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    wait_for(lambda: redis_client.pubsub_numsub(CHANNEL)[0][1] >= 1, 5, what="the test subscription")
    event_id = publish("job", {"id": 7, "progress": 0.5})
    [(stored_id, fields)] = redis_client.xrange(STREAM_KEY)
    assert stored_id.decode() == event_id
    assert fields == {b"event": b"job", b"data": b'{"id":7,"progress":0.5}'}
    message = wait_for(lambda: pubsub.get_message(timeout=0.1), 5, what="the channel message")
    assert message["data"].decode() == f'{event_id}\njob\n{{"id":7,"progress":0.5}}'
    pubsub.close()


def test_publish_many_makes_the_same_entries_and_channel_messages_as_publish(app, redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    wait_for(lambda: redis_client.pubsub_numsub(CHANNEL)[0][1] >= 1, 5, what="the test subscription")
    single = publish("message", {"id": 1, "text": "<b>一</b>"})
    many = publish_many([("message", {"id": 2, "text": "二"}), ("notification", {"unread": 2})])
    pipe = redis_client.pipeline(transaction=False)
    assert publish_many([("job", {"id": 3})], client=pipe) is None  # queued, sent with the pipeline
    [queued] = pipe.execute()
    ids = [single, *many, queued[0].decode()]
    entries = redis_client.xrange(STREAM_KEY)
    assert [entry_id.decode() for entry_id, _ in entries] == ids
    assert [(fields[b"event"].decode(), fields[b"data"].decode()) for _, fields in entries] == [
        ("message", '{"id":1,"text":"\\u003cb\\u003e一\\u003c/b\\u003e"}'),
        ("message", '{"id":2,"text":"二"}'), ("notification", '{"unread":2}'), ("job", '{"id":3}')]
    channel = [wait_for(lambda: pubsub.get_message(timeout=0.1), 5, what="a channel message")["data"].decode()
               for _ in ids]
    assert [line.split("\n")[0] for line in channel] == ids
    assert channel[2] == f'{ids[2]}\nnotification\n{{"unread":2}}'
    assert publish_many([]) == []
    with pytest.raises(ValueError, match="unknown event"):
        publish_many([("message", {"id": 4}), ("html", {})])  # checked before anything is sent
    assert redis_client.xlen(STREAM_KEY) == 4
    pubsub.close()


def test_hostile_text_becomes_inert_single_line_json(app, redis_client):
    data = {"text": "<script>alert('x')</script> & \u2028\nbye", "nick": "😀小明"}
    publish("message", data)
    [(_, fields)] = redis_client.xrange(STREAM_KEY)
    raw = fields[b"data"].decode()
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\n" not in raw and "\u2028" not in raw
    assert "😀小明" in raw  # Unicode is kept readable, not \u-escaped
    assert json.loads(raw) == data


def test_publish_refuses_unknown_events_and_non_objects(app):
    with pytest.raises(ValueError, match="unknown event"):
        publish("html", {})
    with pytest.raises(TypeError):
        publish("job", ["not", "a", "dict"])
    with pytest.raises(ValueError, match="larger than"):
        publish("job", {"blob": "x" * 70_000})


def test_publish_outside_an_app_context_takes_a_client(redis_server):
    with pytest.raises(RuntimeError, match="client="):
        publish("job", {})
    client = redis_server.client()
    client.delete(STREAM_KEY)
    event_id = publish("listener", {"state": "running"}, client=client)
    assert client.xrange(STREAM_KEY)[0][0].decode() == event_id


def test_the_stream_is_capped(app, redis_client):
    app.config["SSE_STREAM_MAXLEN"] = 10
    for number in range(300):
        publish("job", {"n": number})
    # MAXLEN ~ trims whole radix-tree nodes (100 entries), so the length stays near, not exactly at, the cap.
    assert 10 <= redis_client.xlen(STREAM_KEY) <= 110


def test_read_after_returns_exactly_the_later_events_and_flags_trimmed_history(app, redis_client):
    ids = [publish("job", {"n": number}) for number in range(5)]
    replay, trimmed = read_after(redis_client, ids[1])
    assert [event.id for event in replay] == ids[2:]
    assert [json.loads(event.data)["n"] for event in replay] == [2, 3, 4]
    assert not trimmed
    _, trimmed = read_after(redis_client, "1-0")  # older than anything kept
    assert trimmed


def test_hub_fans_out_to_every_subscriber_in_order(app, hub):
    first, second = hub.subscribe(100), hub.subscribe(100)
    try:
        ids = [publish("message", {"n": number}) for number in range(20)]
        for subscriber in (first, second):
            received = [subscriber.queue.get(timeout=5).id for _ in ids]
            assert received == ids
    finally:
        hub.unsubscribe(first)
        hub.unsubscribe(second)


def test_a_slow_subscriber_is_dropped_without_holding_back_the_others(app, hub):
    slow, healthy = hub.subscribe(2), hub.subscribe(100)
    try:
        ids = [publish("message", {"n": number}) for number in range(5)]
        assert [healthy.queue.get(timeout=5).id for _ in ids] == ids
        assert slow.dropped
        assert slow not in hub.subscribers
    finally:
        hub.unsubscribe(healthy)


def take(body) -> str:
    """The next chunk of an SSE body (bytes, encoded once per event) as text."""
    return next(body).decode()


def test_replay_then_live_has_no_gap_and_no_duplicate(app, hub, redis_client):
    """Events published after the client registered but before it read the Stream arrive twice; sent once."""
    seen = publish("job", {"n": 1})
    subscriber = hub.subscribe(100)
    missed = [publish("job", {"n": 2}), publish("job", {"n": 3})]
    wait_for(lambda: hub.last_id == missed[-1], 5, what="the live copies of the missed events")
    body = event_stream(hub, redis_client, subscriber, options(last_id=seen))
    assert take(body) == "retry: 3000\n\n"
    assert [take(body) for _ in missed] == [f'id: {missed[0]}\nevent: job\ndata: {{"n":2}}\n\n',
                                           f'id: {missed[1]}\nevent: job\ndata: {{"n":3}}\n\n']
    live = publish("job", {"n": 4})
    assert take(body) == f'id: {live}\nevent: job\ndata: {{"n":4}}\n\n'
    body.close()
    assert subscriber not in hub.subscribers


def test_first_connect_sends_the_current_id_then_heartbeats(app, hub, redis_client):
    hub.unsubscribe(hub.subscribe(100))  # the hub is running
    latest = publish("sync", {"done": True})
    wait_for(lambda: hub.last_id == latest, 5, what="the hub to pass the event")  # so it is not queued below
    subscriber = hub.subscribe(100)
    body = event_stream(hub, redis_client, subscriber, options(heartbeat=0.05))
    assert take(body) == "retry: 3000\n\n"
    assert take(body) == f"id: {latest}\n\n"  # sets the browser's Last-Event-ID without an event
    assert take(body) == ": heartbeat\n\n"
    body.close()


def test_trimmed_history_tells_the_page_to_reset(app, hub, redis_client):
    publish("job", {"n": 1})
    subscriber = hub.subscribe(100)
    body = event_stream(hub, redis_client, subscriber, options(last_id="1-0"))
    take(body)
    assert take(body).startswith("event: reset\n")
    body.close()


def test_event_filter_applies_to_replay_and_live(app, hub, redis_client):
    start = publish("job", {"n": 0})
    publish("message", {"n": 1})
    wanted = publish("login", {"n": 2})
    subscriber = hub.subscribe(100)
    body = event_stream(hub, redis_client, subscriber, options(last_id=start, wanted=frozenset({"login"})))
    take(body)
    assert take(body).startswith(f"id: {wanted}\nevent: login\n")
    publish("message", {"n": 3})
    live = publish("login", {"n": 4})
    assert take(body).startswith(f"id: {live}\nevent: login\n")
    body.close()


@pytest.mark.parametrize("value, expected", [
    ("1700000000000-0", "1700000000000-0"), (" 5-3 ", "5-3"), ("", None), (None, None), ("abc", None),
    ("1-0\nevent: x", None), ("$", None),
])
def test_last_event_id_is_validated(value, expected):
    assert valid_event_id(value) == expected
