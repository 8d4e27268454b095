"""The event spool between the driver listener's receiver and its dispatcher (wechat/bot/event_spool.py)."""

from __future__ import annotations

import pytest

from drivers.types import (
    FriendRequestEvent,
    GroupNoteEvent,
    GroupNoteKind,
    LoginState,
    LoginStateEvent,
    LogoutEvent,
    MessageEvent,
    MessageKind,
    RecallEvent,
)
from wechat.bot.event_spool import EventSpool, dump, load

EVENTS = [
    MessageEvent("1", MessageKind.IMAGE, "g@chatroom", "wxid_a", True, text="<x>", mentioned_ids=("wxid_me",),
                 mentions_self=True, create_time=5),
    FriendRequestEvent("2", "wxid_b", "B", text="hi", ticket="t", encrypt_user="v3", scene=3),
    GroupNoteEvent("3", "g@chatroom", GroupNoteKind.JOIN, "note", member_names=("C",), member_ids=("wxid_c",)),
    RecallEvent("4", "wxid_a", "1"),
    LoginStateEvent(LoginState.SCANNED),
    LogoutEvent("kicked"),
    MessageEvent("11", MessageKind.LINK, "gh_mp", "gh_mp", False, articles=(("标题", "https://mp/1"), ("b", "u"))),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_survives_the_round_trip(event):
    assert load(dump(event)) == event


@pytest.mark.parametrize("raw", ["not json", '{"type": "os.system", "fields": {}}',
                                 '{"type": "MessageEvent", "fields": {"msg_id": 1}}',
                                 '{"type": "MessageEvent", "fields": {"msg_id": "1", "kind": "nope"}}',
                                 "\\x80\\x04cos\\nsystem"])
def test_anything_else_is_dropped_never_executed(raw):
    assert load(raw) is None


def test_events_leave_the_spool_only_when_done(redis_server):
    client = redis_server.client()
    client.delete("test:spool")
    spool = EventSpool(client, "test:spool")
    spool.put(EVENTS[:3])
    assert spool.peek(2) == EVENTS[:2]
    assert spool.peek(2) == EVENTS[:2]  # a dispatcher that died before `done` sees them again
    spool.done(2)
    assert spool.peek(10) == EVENTS[2:3] and spool.size() == 1


def test_an_event_read_again_is_spooled_once(redis_server):
    # A driver resuming from its checkpoint hands out again what the dead worker had spooled already.
    client = redis_server.client()
    client.delete("test:spool", "test:spool:seen")
    spool = EventSpool(client, "test:spool")
    assert spool.put(EVENTS[:3]) == 3
    spool.done(3)  # handled and removed: the id is still remembered
    assert spool.put(EVENTS[1:4] + [LoginStateEvent(LoginState.SCANNED)] * 2) == 3  # RecallEvent + 2 without id
    assert [type(e) for e in spool.peek(10)] == [RecallEvent, LoginStateEvent, LoginStateEvent]


def test_the_seen_ids_are_bounded(redis_server, monkeypatch):
    import wechat.bot.event_spool as module

    client = redis_server.client()
    client.delete("test:spool", "test:spool:seen")
    monkeypatch.setattr(module, "SEEN_MAX", 5)
    spool = EventSpool(client, "test:spool")
    for n in range(8):
        spool.put([RecallEvent(str(100 + n), "wxid_a", "1")])
    assert client.zcard("test:spool:seen") == 5
    assert spool.put([RecallEvent("100", "wxid_a", "1")]) == 1  # the oldest id was forgotten
    assert spool.put([RecallEvent("107", "wxid_a", "1")]) == 0
