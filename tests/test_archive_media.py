"""Media a contact sends: streamed to disk within a cap per file, a free-disk floor and a daily budget per chat;
skipped media leave the message stored with its media_status. Ids and names from the server never shape a path.
The app's real SQLite database and Redis; the bot and the HTTP answers are the stand-ins of test_archive_batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drivers.itchat.events import msg_id_of
from drivers.itchat.media import MediaRequest, MediaTooLarge, download
from extensions import db
from libs import metrics
from libs.redis_client import get_redis
from models.message import Message
from tests.test_archive_batch import Bot, Driver, Msg, Response, receive
from wechat.bot.dispatch import BotContext, handlers
from wechat.bot.state import BotState
from wechat.messages import archive
from wechat.messages import media as archive_media
from wechat.messages.media_limits import MB, MediaLimits, allowance, skipped_status


@pytest.fixture
def bot():
    return Bot()


@pytest.fixture
def ctx(app, bot):
    metrics.reset_backoff()
    return BotContext(app, BotState(get_redis()), Driver(bot),
                      entries=[entry for entry in handlers() if entry.name == "archive"])


def rows() -> dict[str, Message]:
    found = {row.msg_id: row for row in db.session.execute(db.select(Message)).scalars()}
    db.session.commit()
    return found


def leftovers() -> list[str]:
    root = archive.media_root()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Unsized(Response):
    """An answer that does not say its length: the limit is found while streaming."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.headers = {}


def test_a_file_above_the_cap_is_skipped_and_its_message_kept(ctx, bot, app):
    app.config["MEDIA_MAX_MB"] = 1
    bot.core.s.body = b"\x89PNG" + b"x" * (2 * MB)
    receive(ctx, [Msg(bot, 1, kind="Picture", text="")])
    row = rows()["1"]
    assert (row.media_status, row.file_path, row.file_size) == ("too_large", None, None)
    assert leftovers() == []


def test_a_file_that_streams_past_the_cap_leaves_nothing_on_disk(ctx, bot, app, monkeypatch):
    app.config["MEDIA_MAX_MB"] = 1
    monkeypatch.setattr(type(bot.core.s), "get", lambda self, url, params=None, **kw: Unsized(b"y" * (MB + 1)))
    receive(ctx, [Msg(bot, 2, kind="Picture", text="")])
    assert rows()["2"].media_status == "too_large"
    assert leftovers() == []


def test_media_is_skipped_while_the_disk_is_low(ctx, bot, app, monkeypatch):
    app.config["MEDIA_MIN_FREE_MB"] = 100
    monkeypatch.setattr(archive_media, "free_bytes", lambda folder: 99 * MB)
    receive(ctx, [Msg(bot, 3, kind="Picture", text="")])
    assert rows()["3"].media_status == "disk_low"
    assert bot.downloads == []  # not even started


def test_the_daily_budget_is_per_chat_and_expires(ctx, bot, app):
    app.config["MEDIA_DAILY_MB_PER_CHAT"] = 1
    bot.core.s.body = b"\x89PNG" + b"z" * (600 * 1024)
    receive(ctx, [Msg(bot, 4, kind="Picture", text=""), Msg(bot, 5, kind="Picture", text=""),
                  Msg(bot, 6, kind="Picture", text="", sender="@@group")])
    found = rows()
    assert found["4"].file_path and found["4"].media_status is None
    assert (found["5"].media_status, found["5"].file_path) == ("budget", None)
    assert found["6"].file_path  # another chat has its own budget
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    key = ctx.state.key(f"media:{day}:puid-friend")
    assert int(get_redis().get(key)) == len(bot.core.s.body)
    assert 0 < get_redis().ttl(key) <= 2 * 24 * 3600


def test_allowance_names_the_limit_that_binds():
    limits = MediaLimits(max_bytes=50 * MB, min_free_bytes=100 * MB, daily_bytes_per_chat=500 * MB)
    assert allowance(limits, free_bytes=10_000 * MB, used_today=0) == (50 * MB, "too_large")
    assert allowance(limits, free_bytes=120 * MB, used_today=0) == (20 * MB, "disk_low")
    assert allowance(limits, free_bytes=50 * MB, used_today=0) == (0, "disk_low")
    assert allowance(limits, free_bytes=10_000 * MB, used_today=490 * MB) == (10 * MB, "budget")
    assert allowance(limits, free_bytes=10_000 * MB, used_today=600 * MB) == (0, "budget")
    assert skipped_status(limits, 60 * MB, "budget") == "too_large"  # above the cap whatever else binds
    assert skipped_status(limits, 20 * MB, "budget") == "budget"


class OneAnswer:
    def __init__(self, response: Response) -> None:
        self.response = response

    def get(self, *args, **kwargs) -> Response:
        return self.response


def test_download_streams_in_chunks_and_declared_sizes_stop_it_before_the_body(tmp_path):
    target = tmp_path / "1.bin"
    request = MediaRequest("http://wechat.invalid/x", {})
    assert download(OneAnswer(Response(b"a" * 200_000)), request, target, 200_000) == 200_000
    assert target.read_bytes() == b"a" * 200_000

    class NoBody(Response):
        def iter_content(self, size):
            raise AssertionError("the body must not be read when the declared size is too large")

    with pytest.raises(MediaTooLarge) as raised:
        download(OneAnswer(NoBody(b"b" * 300)), request, tmp_path / "2.bin", 299)
    assert raised.value.size == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.bin"]


@pytest.mark.parametrize("msg_id", ["../1", "1/../../2", "１２３", "12a", "1" * 33, "-1", "1.0", " 1", ""])
def test_only_decimal_msg_ids_are_archived(msg_id):
    assert msg_id_of({"MsgId": msg_id}) == ""


def test_media_paths_take_only_the_number_and_a_plain_extension(ctx, bot):
    created = datetime(2026, 11, 30, tzinfo=UTC)
    record = {"msg_id": "123", "type": "attachment", "created_at": created}
    for name, extension in [("../../etc/x.sh", ".sh"), ("报告.PDF", ".pdf"), ("a.p/h", ""), ("x.tar\x00.gz", ".gz"),
                            ("noext", ""), ("a.ab cd", ""), ("a.😀", "")]:
        path = archive_media.media_file({**record, "file_name": name}, 7)
        assert str(path) == f"7/2026-11/123{extension}", name
    with pytest.raises(ValueError):
        archive_media.media_file({**record, "msg_id": "../1", "file_name": "a"}, 7)


def test_the_api_says_why_media_was_skipped(ctx, bot, app):
    from views.messages import message_dict

    app.config["MEDIA_MAX_MB"] = 1
    bot.core.s.body = b"\x89PNG" + b"x" * (2 * MB)
    receive(ctx, [Msg(bot, 8, kind="Picture", text="")])
    shown = message_dict(rows()["8"])
    assert (shown["media_status"], shown["media_url"]) == ("too_large", None)
    from flask_babel import force_locale

    from libs.i18n import js_strings

    with app.test_request_context():
        with force_locale("en"):
            assert str(js_strings()["media_skipped_too_large"]) == "Media skipped: too large"
        with force_locale("zh_CN"):
            assert str(js_strings()["media_skipped_disk_low"]) == "未保存媒体：磁盘空间不足"
