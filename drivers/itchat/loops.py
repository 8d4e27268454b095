"""Stopping every loop of one itchat core at once, and replacing its QR code without a second login loop.

itchat runs its loops on threads of its own and blocks in long polls (QR login and synccheck: ~25 s on the real
service), with no way to stop them from outside: `core.alive = False` ends the receive loop only after its current
poll, and the QR login loop ends only when its QR code expires, after which it fetches a new one and goes on
forever. A replaced listener's QR loop kept writing the login state long after its task had ended.

`LoopGate.attach(core)`, before the core logs in, sends the core's HTTP requests through a gate:
- `stop()`: every request in flight fails at once with LoopStopped, and every later one too, so each loop ends at
  its next step (the QR loop: the exception leaves wxpy.Bot(); the receive loop: it sees `alive` is False);
- `refresh_qr()`: the pending QR long poll ends as if the QR code had expired, so itchat's own loop fetches a new
  one: a new QR code in the same loop, never a second loop.
An interrupted request finishes in the background and its answer is dropped. The receive loop runs on a thread the
gate keeps (`threads`), so its owner can wait for it to end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LoopStopped(Exception):
    """The bot's loops were stopped: no more requests to WeChat from this core."""


class _QrRefreshed(Exception):
    """The pending QR long poll was cut short to show a new QR code (never leaves check_login)."""


class _Call:
    """One request running on a helper thread; settled by its answer or by an interruption, whichever is first."""

    def __init__(self, qr_poll: bool) -> None:
        self.qr_poll = qr_poll
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._value: Any = None
        self._error: BaseException | None = None

    def run(self, request: Callable, args: tuple, kwargs: dict) -> None:
        try:
            value, error = request(*args, **kwargs), None
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting caller)
            value, error = None, exc
        self.settle(value, error)

    def settle(self, value: Any, error: BaseException | None) -> None:
        with self._lock:
            if self.done.is_set():
                return
            self._value, self._error = value, error
            self.done.set()

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


class LoopGate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._refresh = False
        self._calls: set[_Call] = set()
        self._local = threading.local()
        self.threads: list[threading.Thread] = []

    @property
    def stopped(self) -> bool:
        return self._stopped

    def attach(self, core) -> None:
        """Gate this core's requests, QR polls and receive loop (call before it logs in)."""
        session_request = core.s.request
        check_login = core.check_login
        start_receiving = core.start_receiving

        def request(*args, **kwargs):
            return self._call(session_request, args, kwargs)

        def check(uuid=None):
            with self._lock:
                refresh, self._refresh = self._refresh, False
            if refresh:
                return "400"  # itchat: "Log in time out, reloading QR code."
            self._local.qr_poll = True
            try:
                return check_login(uuid)
            except _QrRefreshed:
                return "400"
            finally:
                self._local.qr_poll = False

        def receive(exitCallback=None, getReceivingFnOnly=False):  # noqa: N803  (itchat's signature)
            loop = start_receiving(exitCallback, getReceivingFnOnly=True)
            if getReceivingFnOnly:
                return loop
            thread = threading.Thread(target=loop, name="itchat-receive", daemon=True)
            self.threads.append(thread)
            thread.start()

        # Instance attributes shadow the Core class's functions: itchat calls self.s.request, self.check_login()
        # and self.start_receiving() on this core only.
        core.s.request = request
        core.check_login = check
        core.start_receiving = receive

    def _call(self, request: Callable, args: tuple, kwargs: dict) -> Any:
        call = _Call(qr_poll=getattr(self._local, "qr_poll", False))
        with self._lock:
            if self._stopped:
                raise LoopStopped("the bot's loops were stopped")
            self._calls.add(call)
        try:
            threading.Thread(target=call.run, args=(request, args, kwargs), name="wechat-request",
                             daemon=True).start()
            call.done.wait()
        finally:
            with self._lock:
                self._calls.discard(call)
        return call.result()

    def refresh_qr(self) -> None:
        """Show a new QR code: end the pending QR poll now (or the next one at once) as if the code had expired."""
        with self._lock:
            polls = [call for call in self._calls if call.qr_poll]
            self._refresh = not polls
        for call in polls:
            call.settle(None, _QrRefreshed())

    def stop(self) -> None:
        """Fail every request in flight and every later one: each loop of the core ends at its next step."""
        with self._lock:
            self._stopped = True
            calls = list(self._calls)
        for call in calls:
            call.settle(None, LoopStopped("the bot's loops were stopped"))

    def join(self, timeout: float) -> bool:
        """Wait for the receive loop to end; True if it has."""
        for thread in list(self.threads):
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self.threads)
