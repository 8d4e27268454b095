"""The archive stores a batch with one INSERT and one commit: every message once (duplicates in a batch, re-delivery
across batches), reported handled only after the commit; events, unread count and counters in one Redis round
trip. The app's real SQLite database and Redis; wxpy's messages and bot are small stand-ins (tests/runtime has
the real thing), turned into the seam's events by the itchat driver's own converter (drivers/itchat/events.py) and
handled through the ItchatDriver (its lists read from the stand-in's itchat lists)."""

from __future__ import annotations

import json
import queue
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event

from app import create_app
from drivers.itchat.directory import ChatDirectory
from drivers.itchat.driver import ItchatDriver
from drivers.itchat.events import to_event
from drivers.types import Contact, Group, Member, SelfInfo
from extensions import db
from libs import metrics
from libs.events import STREAM_KEY
from libs.redis_client import get_redis
from models.message import Message
from models.wechat import Account
from tests.fixtures.databases import engine_url  # noqa: F401  (fixture)
from wechat.bot.dispatch import BotContext, dispatch, end_batch, handlers
from wechat.bot.seam import SeamDirectory
from wechat.bot.state import BotState
from wechat.messages import archive
from wechat.messages.insert import insert_new
from wechat.messages.unread import chat_unread

ME, FRIEND, GROUP, MEMBER = "@me", "@friend", "@@group", "@member"


@dataclass
class Me:
    user_name: str = ME
    puid: str = "puid-me"
    name: str = "Bot"
    nick_name: str = "Bot"


@dataclass
class PuidMap:
    user_names: dict = field(default_factory=lambda: {FRIEND: "puid-friend", GROUP: "puid-group",
                                                      MEMBER: "puid-member"})


class Response:
    """What requests answers to a streamed media download (the archive streams through itchat's session)."""

    status_code = 200

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers = {"Content-Length": str(len(body))}

    def iter_content(self, size: int):
        return (self.body[i:i + size] for i in range(0, len(self.body), size))

    def close(self) -> None:
        pass


class Session:
    def __init__(self, downloads: list[str]) -> None:
        self.downloads = downloads
        self.body = b"\x89PNG picture"

    def get(self, url, params=None, **kwargs) -> Response:
        self.downloads.append(str(params["msgid"]))
        return Response(self.body)


class Core:
    def __init__(self, downloads: list[str]) -> None:
        self.memberList = [{"UserName": FRIEND, "NickName": "小明"}]
        self.chatroomList = [{"UserName": GROUP, "NickName": "技术群"}]
        self.mpList = []
        self.msgList = queue.Queue()
        self.loginInfo = {"url": "http://wechat.invalid/cgi-bin/mmwebwx-bin", "skey": "@skey"}
        self.s = Session(downloads)


class Bot:
    alive = True

    def __init__(self) -> None:
        self.downloads: list[str] = []
        self.self, self.core, self.puid_map = Me(), Core(self.downloads), PuidMap()


class Driver(ItchatDriver):
    """The ItchatDriver (its media download included) with lists read straight from the stand-in's itchat lists."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)

    def _puid(self, user_name: str) -> str:
        return self.bot.puid_map.user_names.get(user_name, "")

    def self_info(self) -> SelfInfo:
        return SelfInfo(self.bot.self.puid, self.bot.self.nick_name)

    def friends(self) -> list[Contact]:
        return [Contact(self._puid(row["UserName"]), row["NickName"]) for row in self.bot.core.memberList]

    def mps(self) -> list[Contact]:
        return []

    def groups(self) -> list[Group]:
        return [Group(self._puid(row["UserName"]), row["NickName"]) for row in self.bot.core.chatroomList
                if self._puid(row["UserName"])]

    def group_members(self, group_id: str) -> list[Member]:
        return [Member(self._puid(MEMBER), "王", display_name="老王")]


class Msg:
    def __init__(self, bot: Bot, msg_id: int, sender: str = FRIEND, text: str = "你好", kind: str = "Text",
                 outgoing: bool = False) -> None:
        self.bot, self.id, self.text = bot, msg_id, text
        self.raw = {"MsgId": str(msg_id), "NewMsgId": msg_id, "Type": kind, "MsgType": 3 if kind == "Picture" else 1,
                    "Text": text, "CreateTime": 1_700_000_000,
                    "FromUserName": ME if outgoing else sender, "ToUserName": sender if outgoing else ME}
        if sender == GROUP and not outgoing:
            self.raw.update(ActualUserName=MEMBER, ActualNickName="老王")



@pytest.fixture
def bot():
    return Bot()


@pytest.fixture
def ctx(app, bot):
    import wechat.messages.archive  # noqa: F401  (registers the handler)

    done: list = []
    context = BotContext(app, BotState(get_redis()), Driver(bot), after_message=[lambda msg: done.append(msg.id)],
                         entries=[entry for entry in handlers() if entry.name == "archive"])
    context.done = done
    metrics.reset_backoff()
    return context


def event_of(msg):
    """What the itchat driver dispatches for a wxpy message (wechat/bot/dispatch.py install_dispatcher)."""
    return to_event(msg, ChatDirectory(msg.bot))


def receive(ctx: BotContext, messages) -> None:
    """One webwxsync batch: each message dispatched as its event, then the end of the batch."""
    for msg in messages:
        dispatch(event_of(msg), ctx, msg)
    end_batch(ctx)


def stored() -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(Message.msg_id, Message.text).order_by(Message.id)).all()
    db.session.commit()
    return [tuple(row) for row in rows]


@pytest.fixture
def statements(app):
    """The SQL statements sent to the database (their first three words) and "COMMIT" for each commit."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:3]).upper())

    def commit(conn):
        seen.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", record)
    event.listen(db.engine, "commit", commit)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)
    event.remove(db.engine, "commit", commit)


def test_a_batch_is_stored_once_with_one_insert_and_one_commit(ctx, bot, statements):
    ctx.account_id()  # the account row exists before the batch (first login)
    statements.clear()
    messages = [Msg(bot, 1), Msg(bot, 2, sender=GROUP, text="群里"), Msg(bot, 1), Msg(bot, 3, outgoing=True)]
    receive(ctx, messages)
    # The group message also teaches its group (web WeChat lists only groups saved to contacts): one lookup, and an
    # insert because it is new, in the same transaction. No media: no query for stored MsgIds first (the INSERT
    # skips them).
    assert statements == ["INSERT INTO MESSAGES", "SELECT GROUPS.ID, GROUPS.PUID,",
                          "INSERT INTO GROUPS", "COMMIT"]
    assert stored() == [("1", "你好"), ("2", "群里"), ("3", "你好")]
    assert ctx.done == [1, 2, 1, 3]  # every message of the batch, after the commit
    group = db.session.execute(db.select(Message).where(Message.msg_id == "2")).scalar_one()
    assert (group.chat_kind, group.chat_puid, group.sender_puid, group.sender_name) == \
        ("group", "puid-group", "puid-member", "老王")


def compiled_inserts(engine) -> tuple[list, Callable[[], None]]:
    """The compiled form of every INSERT INTO messages run on `engine` (the same object when the cache served it)."""
    seen: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            seen.append(context.compiled)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_the_batch_insert_is_compiled_once_not_for_every_batch(ctx, bot):
    ctx.account_id()
    seen, stop = compiled_inserts(db.engine)
    try:
        for first in (1, 3, 5):
            receive(ctx, [Msg(bot, first), Msg(bot, first + 1)])
    finally:
        stop()
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2], "the archive's INSERT was compiled again for a batch"
    assert [msg_id for msg_id, _ in stored()] == [str(number) for number in range(1, 7)]


def test_the_batch_insert_fires_the_triggers_on_messages(ctx, bot):
    """Full-text search (migration 0003) is kept by triggers on `messages`: rows inserted by the batch reach it."""
    from sqlalchemy import text

    if not db.session.execute(text("SELECT name FROM sqlite_master WHERE name = 'messages_fts'")).first():
        pytest.skip("no messages_fts table in this schema")
    receive(ctx, [Msg(bot, 1, text="批量插入的全文检索"), Msg(bot, 2, text="另一条")])
    found = db.session.execute(text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q"),
                               {"q": '"全文检索"'}).scalars().all()
    assert found == [db.session.execute(db.select(Message.id).where(Message.msg_id == "1")).scalar_one()]


def test_redelivered_messages_are_skipped_and_only_new_ones_announced(ctx, bot):
    client = get_redis()
    receive(ctx, [Msg(bot, 1), Msg(bot, 2)])
    receive(ctx, [Msg(bot, 2), Msg(bot, 3), Msg(bot, 1)])  # WeChat re-delivers after a restart from an older key
    assert [msg_id for msg_id, _ in stored()] == ["1", "2", "3"]
    assert ctx.done == [1, 2, 2, 3, 1]
    events = [json.loads(fields[b"data"]) for _, fields in client.xrange(STREAM_KEY)
              if fields[b"event"] == b"message"]
    ids = dict(db.session.execute(db.select(Message.msg_id, Message.id)).all())
    assert [e["id"] for e in events] == [ids["1"], ids["2"], ids["3"]]
    # The whole message, as GET /api/chats/<puid>/messages gives it (wechat/messages/payload.py).
    assert events[0].items() >= {
        "id": ids["1"], "type": "text", "chat_kind": "friend", "chat_puid": "puid-friend", "chat_name": "小明",
        "sender_puid": "puid-friend", "sender_name": "小明", "is_outgoing": False, "text": "你好",
        "created_at": "2023-11-14T22:13:20+00:00", "media_url": None, "recalled": False, "truncated": False}.items()


def test_unread_count_and_counters_follow_the_batch(ctx, bot):
    client = get_redis()
    receive(ctx, [Msg(bot, 1), Msg(bot, 2), Msg(bot, 3, outgoing=True), Msg(bot, 1)])
    assert int(client.get(ctx.state.key("unread"))) == 2  # the bot's own message is not unread
    assert chat_unread(ctx.state) == {"puid-friend": 2}  # and per chat, for the Conversations page
    notifications = [json.loads(fields[b"data"]) for _, fields in client.xrange(STREAM_KEY)
                     if fields[b"event"] == b"notification"]
    assert notifications == [{"unread": 2}]
    counters = client.hgetall(metrics.COUNTERS_KEY)
    assert int(counters[b"messages_stored"]) == 3


def test_media_is_downloaded_before_storing_and_not_again_on_redelivery(ctx, bot, app):
    picture = Msg(bot, 7, kind="Picture", text="")
    receive(ctx, [picture])
    receive(ctx, [Msg(bot, 7, kind="Picture", text="")])
    row = db.session.execute(db.select(Message).where(Message.msg_id == "7")).scalar_one()
    assert bot.downloads == ["7"]
    assert row.file_path and row.file_size == len(b"\x89PNG picture")
    assert (archive.media_root() / row.file_path).exists()


def test_a_full_batch_is_stored_before_the_batch_ends(ctx, bot):
    ctx.batch_size = 3
    for number in range(1, 8):
        msg = Msg(bot, number)
        dispatch(event_of(msg), ctx, msg)
    assert len(stored()) == 6 and ctx.done == [1, 2, 3, 4, 5, 6]
    end_batch(ctx)
    assert len(stored()) == 7 and ctx.done == list(range(1, 8))


@pytest.fixture
def short_busy_wait(app, monkeypatch):
    """Fail fast on a locked database: SQLite waits 20 ms instead of 15 s, the archive retries for 0.3 s."""
    def set_busy_timeout(dbapi_connection, record, proxy):
        dbapi_connection.execute("PRAGMA busy_timeout=20")

    event.listen(db.engine, "checkout", set_busy_timeout)
    monkeypatch.setattr(archive, "RETRY_FIRST_DELAY", 0.05)
    monkeypatch.setattr(archive, "RETRY_GIVE_UP_AFTER", 0.3)
    yield
    event.remove(db.engine, "checkout", set_busy_timeout)


def test_a_batch_that_cannot_be_committed_is_not_reported_and_comes_again(ctx, bot, app, short_busy_wait):
    ctx.account_id()
    halts = []
    ctx.on_halt = halts.append
    receive(ctx, [Msg(bot, 1)])
    lock = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        receive(ctx, [Msg(bot, 2), Msg(bot, 3)])
        assert ctx.halted and halts and halts[0].startswith("halted: database unavailable")
        assert ctx.done == [1]  # 2 and 3 are not reported: the checkpoint keeps the SyncKey before them
        receive(ctx, [Msg(bot, 4)])  # halted: nothing more is handled until the restart
        assert ctx.done == [1]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    restarted = BotContext(ctx.app, ctx.state, ctx.bot, after_message=ctx.after_message, entries=ctx.entries)
    receive(restarted, [Msg(bot, 1), Msg(bot, 2), Msg(bot, 3), Msg(bot, 4)])  # re-delivered from the older key
    assert [msg_id for msg_id, _ in stored()] == ["1", "2", "3", "4"]
    assert ctx.done == [1, 1, 2, 3, 4]


def test_a_row_that_can_never_be_stored_does_not_take_the_batch_with_it(ctx, bot):
    items = [(event, archive.event_record(event, ctx.directory()))
             for event in (event_of(Msg(bot, number)) for number in (1, 2, 3))]
    items[1][1]["type"] = None  # NOT NULL: the multi-row INSERT fails as a whole
    stored_records = archive.store_batch(items, ctx.account_id())
    assert [record["msg_id"] for record in stored_records] == ["1", "3"]
    assert [msg_id for msg_id, _ in stored()] == ["1", "3"]


def test_the_batch_insert_skips_duplicates_and_returns_ids_on_real_engines(engine_url, tmp_path):  # noqa: F811
    """PostgreSQL (ON CONFLICT DO NOTHING RETURNING) and MariaDB/MySQL (ON DUPLICATE KEY UPDATE, ids by SELECT)."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url, "SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        account = Account(puid="self", nick_name="bot")
        db.session.add(account)
        db.session.commit()
        bot = Bot()
        directory = SeamDirectory(Driver(bot))
        records = [archive.event_record(event_of(Msg(bot, number, text=f"第{number}条 🎉")), directory)
                   for number in (1, 2, 3)]
        row = {column: None for column in archive.RECORD_COLUMNS}
        first = insert_new([{**row, **records[0], "account_id": account.id}])
        db.session.commit()
        seen, stop = compiled_inserts(db.engine)
        ids = insert_new([{**row, **record, "account_id": account.id} for record in records])  # 1 again: skipped
        db.session.commit()
        again = insert_new([{**row, **record, "account_id": account.id} for record in records])  # all skipped
        db.session.commit()
        stop()
        assert again == {}
        if db.engine.dialect.name == "postgresql":  # compiled once (wechat/messages/insert.py)
            assert len(seen) == 2 and seen[0] is seen[1]
        stored_ids = dict(db.session.execute(db.select(Message.msg_id, Message.id)).all())
        assert set(first) == {"1"} and ids == {"2": stored_ids["2"], "3": stored_ids["3"]}
        assert sorted(stored_ids) == ["1", "2", "3"]
        db.session.remove()
        db.engine.dispose()
