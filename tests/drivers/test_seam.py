"""The seam's plain data: what a driver hands the product survives queues and processes unchanged."""

from __future__ import annotations

import pickle

import pytest

from drivers.interface import Driver, require
from drivers.padpro import GatewayClient, PadProDriver
from drivers.types import (
    Capability,
    GroupNoteEvent,
    GroupNoteKind,
    IdStability,
    MessageEvent,
    MessageKind,
    RateLimited,
    Unsupported,
)


def test_events_and_errors_pickle_round_trip():
    event = MessageEvent(msg_id="1", kind=MessageKind.TEXT, chat_id="c", sender_id="s", is_group=True,
                         mentioned_ids=("a", "b"))
    note = GroupNoteEvent(msg_id="2", group_id="g@chatroom", kind=GroupNoteKind.JOIN, text="x", member_names=("n",))
    assert pickle.loads(pickle.dumps([event, note])) == [event, note]
    error = pickle.loads(pickle.dumps(RateLimited("slow down", code=300, details={"ret": 1205})))
    assert isinstance(error, RateLimited) and (error.message, error.code, error.details) == \
        ("slow down", 300, {"ret": 1205})
    assert str(error) == "slow down (code 300)"
    with pytest.raises(AttributeError):
        event.text = "changed"  # frozen: a handler cannot alter what the next one sees


def test_padpro_declares_what_it_can_do():
    driver = PadProDriver(GatewayClient("http://127.0.0.1:9", "k"))
    assert isinstance(driver, Driver)
    assert driver.id_stability is IdStability.STABLE
    assert Capability.ANNOUNCEMENT in driver.capabilities and Capability.SEND_MENTION in driver.capabilities
    for capability in (Capability.CREATE_GROUP, Capability.SEND_FILE, Capability.DOWNLOAD_MEDIA, Capability.AVATARS):
        require(driver, capability)
    with pytest.raises(Unsupported, match="cannot send file"):
        require(type("Limited", (), {"name": "x", "capabilities": Capability.SEND_TEXT})(), Capability.SEND_FILE)
    with pytest.raises(Unsupported):  # a message without media_ref has nothing to fetch
        driver.download_media(MessageEvent("1", MessageKind.TEXT, "a", "a", False), None, 10)
