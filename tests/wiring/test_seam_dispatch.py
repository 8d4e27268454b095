"""Seam events through the product's handlers (wechat/bot/dispatch.py `message_handler`): the archive stores them under
the driver's ids with the directory's names, membership notes reach insights.

The driver here is a small in-memory implementation of drivers.interface.Driver (the live padpro path runs in
tests/runtime, tests/automation and tests/plugins against the sandbox's gateway face)."""

from __future__ import annotations

import pytest

from drivers.interface import Driver
from drivers.types import (
    Capability,
    Contact,
    Group,
    GroupNoteEvent,
    GroupNoteKind,
    IdStability,
    MediaTooLarge,
    Member,
    MessageEvent,
    MessageKind,
    RecallEvent,
    SelfInfo,
    Unavailable,
    Unsupported,
)
from wechat.bot.dispatch import BotContext, dispatch, end_batch, handlers, load_handlers


class MemoryDriver:
    name = "memory"
    capabilities = Capability.SEND_TEXT
    id_stability = IdStability.STABLE

    def __init__(self) -> None:
        self.listings = 0
        self.media: dict[str, bytes] = {}  # media_ref → bytes (a ref missing here fails like an outage)

    def download_media(self, event, sink, max_bytes: int) -> int:
        data = self.media.get(event.media_ref)
        if data is None:
            raise Unavailable("the service is down")
        if len(data) > max_bytes:
            raise MediaTooLarge.over(max_bytes, len(data))
        sink.write(data)
        return len(data)

    def self_info(self) -> SelfInfo:
        return SelfInfo("wxid_me", "Bot")

    def friends(self) -> list[Contact]:
        self.listings += 1
        return [Contact("wxid_alice", "Alice", remark_name="Alice (school)")]

    def mps(self) -> list[Contact]:
        return []

    def groups(self) -> list[Group]:
        return [Group("42@chatroom", "Readers", owner_id="wxid_me")]

    def group_members(self, group_id: str) -> list[Member]:
        return [Member("wxid_alice", "Alice", "Al"), Member("wxid_bob", "Bob")]

    def poll_events(self, timeout: float) -> list:
        return []

    def login_qr(self):
        raise Unsupported("not here")

    def login_state(self):
        raise Unsupported("not here")

    def _unused(self, *args, **kwargs):
        raise Unsupported("commands are not used here")

    logout = close = send_text = send_image = send_file = send_emoji = accept_friend = add_friend = _unused
    create_group = rename_group = add_members = invite_members = remove_members = _unused
    set_announcement = set_remark = _unused


@pytest.fixture
def ctx(app):
    from wechat.control import bot_state

    load_handlers()
    wanted = {"metrics.received", "archive", "insights.membership_notes", "friend_requests"}
    entries = [entry for entry in handlers() if entry.name in wanted]
    return BotContext(app, bot_state(app), MemoryDriver(), entries=entries)


def stored(app) -> list:
    from extensions import db
    from models.message import Message

    with app.app_context():
        return db.session.execute(db.select(Message).order_by(Message.id)).scalars().all()


def test_the_memory_driver_is_a_driver():
    assert isinstance(MemoryDriver(), Driver)


def test_events_are_archived_under_the_drivers_ids_with_names(app, ctx):
    events = [
        MessageEvent("1001", MessageKind.TEXT, "wxid_alice", "wxid_alice", False, text="hi <b>",
                     create_time=1700000000),
        MessageEvent("1002", MessageKind.TEXT, "42@chatroom", "wxid_bob", True, text="group hi"),
        MessageEvent("1003", MessageKind.IMAGE, "wxid_alice", "wxid_alice", False),
        MessageEvent("1004", MessageKind.TEXT, "wxid_alice", "wxid_me", False, text="mine"),
        RecallEvent("1005", "wxid_alice", "1001", text='"Alice" 撤回了一条消息'),
        MessageEvent("not-a-number", MessageKind.TEXT, "wxid_alice", "wxid_alice", False, text="dropped"),
        MessageEvent("1001", MessageKind.TEXT, "wxid_alice", "wxid_alice", False, text="hi <b>"),  # re-delivered
    ]
    for event in events:
        dispatch(event, ctx)
    end_batch(ctx)
    rows = {row.msg_id: row for row in stored(app)}
    assert sorted(rows) == ["1001", "1002", "1003", "1004", "1005"]
    assert (rows["1001"].chat_puid, rows["1001"].chat_name, rows["1001"].sender_name, rows["1001"].text) == \
        ("wxid_alice", "Alice (school)", "Alice (school)", "hi <b>")
    assert (rows["1002"].chat_kind, rows["1002"].chat_name, rows["1002"].sender_puid, rows["1002"].sender_name) == \
        ("group", "Readers", "wxid_bob", "Bob")
    assert (rows["1003"].type, rows["1003"].media_status, rows["1003"].file_path) == ("picture", "not_fetched", None)
    assert rows["1004"].is_outgoing and rows["1004"].sender_puid == "wxid_me"
    assert rows["1005"].type == "system"
    assert ctx.bot.listings == 1  # names came from one listing, not one per event


def test_a_join_note_reaches_the_membership_events(app, ctx):
    from extensions import db
    from models.insights import MembershipEvent

    dispatch(GroupNoteEvent("2001", "42@chatroom", GroupNoteKind.JOIN, '"Bot"邀请"Carol"加入了群聊',
                            member_names=("Carol",)), ctx)
    end_batch(ctx)
    with app.app_context():
        events = db.session.execute(db.select(MembershipEvent)).scalars().all()
    assert [(event.kind, event.member_name, event.group_puid) for event in events] == [("join", "Carol", "42@chatroom")]


def test_media_of_events_is_fetched_through_the_driver_within_the_limits(app, ctx):
    """A media_ref is downloaded into the archive (the same streamed, capped path as itchat's media); a file above
    MEDIA_MAX_MB is skipped as too_large with nothing left on disk; a failed download is marked not_fetched."""
    from pathlib import Path

    ctx.bot.media = {"ref-small": b"\x89PNG small picture", "ref-big": b"x" * (2 * 1024 * 1024)}
    app.config["MEDIA_MAX_MB"] = 1
    events = [MessageEvent("3001", MessageKind.IMAGE, "wxid_alice", "wxid_alice", False, media_ref="ref-small"),
              MessageEvent("3002", MessageKind.FILE, "wxid_alice", "wxid_alice", False, file_name="../../big.bin",
                           media_ref="ref-big"),
              MessageEvent("3003", MessageKind.VIDEO, "wxid_alice", "wxid_alice", False, media_ref="ref-gone")]
    for event in events:
        dispatch(event, ctx)
    end_batch(ctx)
    rows = {row.msg_id: row for row in stored(app)}
    root = Path(app.instance_path) / "media"
    assert rows["3001"].media_status is None
    assert (root / rows["3001"].file_path).read_bytes() == b"\x89PNG small picture"
    assert (rows["3002"].media_status, rows["3002"].file_path) == ("too_large", None)
    assert rows["3002"].file_name == "big.bin"
    assert (rows["3003"].media_status, rows["3003"].file_path) == ("not_fetched", None)
    assert not [p for p in root.rglob("*") if p.name.endswith(".part") or p.name.startswith("3002")]
