"""Saving the WeChat session so that a crash re-delivers messages instead of losing them.

itchat advances its SyncKey as soon as it *fetches* a batch, before anyone has handled the messages, and its hot
reload file stores whatever key it has at that moment. Saved naively, a crash between fetch and archive loses the
batch for good. The checkpoint tags every message itchat queues with a sequence number and remembers which SyncKey
covered which numbers; the session is saved with the newest key whose messages have all been handled (the
dispatcher reports each one as done). On restart itchat syncs from that key and WeChat re-delivers the rest;
the archive ignores what it already has (unique MsgId).
"""

from __future__ import annotations

import copy
import pickle
import threading
from pathlib import Path
from queue import Empty
from typing import Any

from drivers.itchat.session_file import UntrustedSessionFile, read_pickle, write_pickle

SEQ_FIELD = "_checkpoint_seq"


class _TaggingQueue:
    """Wraps itchat's msgList: numbers each message put into it."""

    def __init__(self, queue, checkpoint: SyncCheckpoint) -> None:
        self._queue = queue
        self._checkpoint = checkpoint

    def put(self, item, *args, **kwargs):
        self._checkpoint.tag(item)
        return self._queue.put(item, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._queue, name)


class SyncCheckpoint:
    """Install right after the Bot is created, before its messages are handled.

    By then itchat may already have fetched messages (after a hot reload it syncs inside the constructor), so the
    starting point is the key in the session file itchat saved at login (or we saved last), and whatever is
    already queued is tagged now.
    """

    def __init__(self, core, session_file: Path) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._queued = 0  # highest sequence number given out
        self._done = 0  # highest sequence number handled (messages are handled in order)
        # (SyncKey, synckey string, sequence number it covers), oldest first
        self._keys: list[tuple[Any, str, int]] = [self._saved_key(session_file) or self._current_key(0)]
        pending = self._drain(core.msgList)
        core.msgList = _TaggingQueue(core.msgList, self)
        for item in pending:
            core.msgList.put(item)
        original_get_msg = core.get_msg

        def get_msg():
            # Everything queued so far came from batches the current key covers; the fetch moves past them.
            with self._lock:
                self._keys.append(self._current_key(self._queued))
            return original_get_msg()

        core.get_msg = get_msg

    @staticmethod
    def _drain(queue) -> list:
        items = []
        while True:
            try:
                items.append(queue.get_nowait())
            except Empty:
                return items

    @staticmethod
    def _saved_key(session_file: Path) -> tuple[Any, str, int] | None:
        try:
            info = read_pickle(session_file, registered=True)["loginInfo"]
            return info["SyncKey"], info["synckey"], 0
        except (OSError, KeyError, TypeError, pickle.UnpicklingError, EOFError, UntrustedSessionFile):
            return None

    def _current_key(self, seq: int) -> tuple[Any, str, int]:
        info = self.core.loginInfo
        return copy.deepcopy(info.get("SyncKey")), info.get("synckey", ""), seq

    def tag(self, item) -> None:
        with self._lock:
            self._queued += 1
            try:
                item[SEQ_FIELD] = self._queued
            except TypeError:  # not a dict-like message: nothing to track it by
                pass

    def done(self, raw: dict) -> None:
        seq = raw.get(SEQ_FIELD) if hasattr(raw, "get") else None
        if seq is None:
            return
        with self._lock:
            self._done = max(self._done, seq)
            # Keys older than the newest fully handled one are never needed again.
            while len(self._keys) > 1 and self._keys[1][2] <= self._done:
                self._keys.pop(0)

    def safe_key(self) -> tuple[Any, str]:
        """The newest SyncKey all of whose messages have been handled."""
        with self._lock:
            candidates = [*self._keys, self._current_key(self._queued)]
            safe = [key for key in candidates if key[2] <= self._done]
            key = safe[-1] if safe else candidates[0]
            return key[0], key[1]

    def save(self, path: Path) -> None:
        """Write itchat's hot-reload file with the safe SyncKey (atomically: a crash mid-write keeps the old one)."""
        from itchat.config import VERSION

        sync_key, sync_key_text = self.safe_key()
        login_info = dict(self.core.loginInfo)
        if sync_key is not None:
            login_info["SyncKey"], login_info["synckey"] = sync_key, sync_key_text
        status = {"version": VERSION, "loginInfo": login_info, "cookies": self.core.s.cookies.get_dict(),
                  "storage": self.core.storageClass.dumps()}
        write_pickle(path, status)
