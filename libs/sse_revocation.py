"""Close open SSE streams whose session or token has been revoked.

Authentication runs once, when a stream opens; a stream may then stay open for days. So each process keeps ONE
watcher (a daemon thread; a greenlet under gevent) that every few seconds checks each distinct credential of its
open streams once (a thousand tabs of one admin cost one query) and ends the streams whose credential no longer
works: it marks the subscriber dropped and wakes its queue, and the stream sends a final `revoked` event.

A credential that cannot be checked (database unreachable) counts as revoked: the browser reconnects with its
Last-Event-ID, which re-authenticates and replays, so closing loses nothing while keeping it open could.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

from libs.sse import Event, Subscriber

logger = logging.getLogger(__name__)

REVOKED = b'event: revoked\ndata: {"reason":"session or token revoked"}\n\n'
# Put in a revoked stream's queue to end its wait at once. Its id sorts before every real event, so a stream that
# already sent one skips it; a stream that sent none yields it, and close_when_revoked drops it.
_WAKE = Event("0-0", "", "")


@dataclass(eq=False)
class Watched:
    credential: Hashable
    subscriber: Subscriber
    revoked: bool = field(default=False)


class RevocationWatch:
    def __init__(self, is_valid: Callable[[Hashable], bool], interval: float) -> None:
        self.is_valid = is_valid
        self.interval = interval
        self._watched: set[Watched] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, credential: Hashable, subscriber: Subscriber) -> Watched:
        watched = Watched(credential, subscriber)
        with self._lock:
            self._watched.add(watched)
            if self._thread is None or not self._thread.is_alive():  # not alive: e.g. inherited through fork
                self._thread = threading.Thread(target=self._run, name="sse-revocation", daemon=True)
                self._thread.start()
        return watched

    def forget(self, watched: Watched) -> None:
        with self._lock:
            self._watched.discard(watched)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.interval):
            with self._lock:
                if not self._watched:
                    self._thread = None  # the next watch() starts a new thread
                    return
                watched = list(self._watched)
            self.sweep(watched)

    def sweep(self, watched: list[Watched]) -> None:
        """Check each distinct credential once; end the streams of those that no longer work."""
        verdicts: dict[Hashable, bool] = {}
        for item in watched:
            if item.credential not in verdicts:
                verdicts[item.credential] = self._check(item.credential)
            if not verdicts[item.credential]:
                self._end(item)

    def _check(self, credential: Hashable) -> bool:
        try:
            return bool(self.is_valid(credential))
        except Exception:  # see the module docstring: unknown counts as revoked
            logger.warning("SSE: could not re-check a stream's credential; closing it", exc_info=True)
            return False

    def _end(self, item: Watched) -> None:
        item.revoked = True
        item.subscriber.dropped = True
        try:
            item.subscriber.queue.put_nowait(_WAKE)
        except queue.Full:
            pass  # a full queue is read without waiting, and the stream sees `dropped` right after
        self.forget(item)


def close_when_revoked(body: Iterator[bytes], watch: RevocationWatch, watched: Watched) -> Iterator[bytes]:
    """Pass the stream's body through until its credential is revoked; then send `revoked` and end it."""
    try:
        for chunk in body:
            if watched.revoked:
                break
            yield chunk
        if watched.revoked:
            yield REVOKED
    finally:
        watch.forget(watched)
        close = getattr(body, "close", None)
        if close is not None:
            close()
