"""A contact sends a large file: the bot streams it to disk with flat memory, and stops at the byte limit.

The sandbox serves the file chunk by chunk (a generated file of hundreds of MB is never held by either side);
unmodified itchat/wxpy receive the message, and drivers/itchat/media.py downloads it through itchat's own session."""

from __future__ import annotations

import hashlib
import queue
import threading
import time

import pytest

from drivers.itchat.media import MediaTooLarge, download_message_media

FRIEND = "大文件"
SIZE = 192 * 1024 * 1024
PAGE = 4096


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


class PeakMemory:
    """The highest resident size of this process seen while the block runs (sampled every 5 ms)."""

    def __enter__(self) -> PeakMemory:
        self.before = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.before


@pytest.fixture
def large_file(sandbox, bots):
    sandbox.reset(friends=2, groups=0, members=0, explicit_friends=[FRIEND])
    bot = bots.login()
    received: queue.Queue = queue.Queue()
    bot.register(except_self=False)(received.put)
    injected = sandbox.control("messages", {"from": FRIEND, "type": "file", "size": SIZE, "file_name": "大.bin"})
    return received.get(timeout=20), injected


def test_a_large_attachment_streams_to_disk_with_flat_memory_and_stops_at_the_limit(large_file, tmp_path):
    msg, injected = large_file
    target = tmp_path / "big.bin"
    started = time.monotonic()
    with PeakMemory() as memory:
        size = download_message_media(msg, target, SIZE)
    assert size == SIZE == target.stat().st_size
    assert memory.growth < 32 * 1024 * 1024, memory.growth  # itchat's own download grew by the whole file
    digest = hashlib.md5()
    with open(target, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    assert digest.hexdigest() == injected["md5"]
    assert time.monotonic() - started < 20

    with pytest.raises(MediaTooLarge) as raised:
        download_message_media(msg, tmp_path / "capped.bin", 50 * 1024 * 1024)
    assert raised.value.size == SIZE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]
