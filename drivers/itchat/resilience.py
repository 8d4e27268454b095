"""Keeping the bot logged in through WeChat outages (HTTP errors, slow or dropped connections).

itchat 1.2.32's receive loop (`itchat.components.login.start_receiving`) has two ways to turn a short outage into a
logout, after which the operator must scan a QR code again:
- `sync_check` answers None for any reply it cannot parse (an HTTP 500 page, a proxy error), which the loop treats
  like a remote logout: it ends and logs the session out;
- after `receivingRetryCount` (5) exceptions in a row, a few seconds of errors, it does the same.
A third: a synccheck that answers at once with a selector whose webwxsync brings nothing (selector 7, "the phone
is in a chat", answers like that on some accounts every time: WeChatBotEngine issue 2, weweChat issue 195) turns
itchat's loop, which has no pause of its own, into a busy loop. After such an empty round the next synccheck waits
0.5, 1, 2, 3, 3 ... s; a round that brings something, or a long poll that ran its course (selector 0), ends that.
`watch(core, ...)` makes an outage a retry: only a real synccheck retcode (1100 logged out, 1101 logged in elsewhere
or expired, ...) ends the session; anything else raises, and the loop retries with a capped back-off for as long as
it takes. Each error and the recovery are reported to callbacks (the listener keeps them in Redis for /api/status).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

SYNC_CHECK_TIMEOUT = 40.0  # longer than WeChat's 25 s long poll; itchat sets none, so a hung socket hung the bot
BACKOFF_BASE = 1.0
BACKOFF_CAP = 8.0  # recovery comes at most this long (+ itchat's own 1 s) after WeChat is back
ENDLESS = 10**9
QUIET_PAUSE_BASE = 0.5
QUIET_PAUSE_CAP = 3.0  # a message still arrives at most this late when the server answers 7 on every poll
_SYNC_CHECK = re.compile(r'window.synccheck={retcode:"(\d+)",selector:"(\d+)"}')
WATCH_ATTR = "_wechat_admin_watch"
SYNCED_ATTR = "_wechat_admin_synced"  # set at the session's first good synccheck
_installed = False


class WeChatUnavailable(Exception):
    """WeChat answered with something that is not a synccheck result (an HTTP error page, garbage)."""


class ConnectionWatch:
    """Counts consecutive errors of one bot's receive loop, backs off between retries and reports changes."""

    def __init__(self, on_error: Callable[[int, str], None], on_recovered: Callable[[int], None],
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.on_error = on_error
        self.on_recovered = on_recovered
        self.sleep = sleep
        self.errors = 0
        self.quiet_rounds = 0  # consecutive fetches that brought nothing
        self._lock = threading.Lock()

    def quiet_pause(self) -> float:
        """Wait before the next synccheck after fetches that brought nothing (no busy loop on selector 7)."""
        delay = 0.0 if not self.quiet_rounds else min(QUIET_PAUSE_CAP, QUIET_PAUSE_BASE * 2 ** (self.quiet_rounds - 1))
        if delay:
            self.sleep(delay)
        return delay

    def fetched(self, anything: bool) -> None:
        self.quiet_rounds = 0 if anything else self.quiet_rounds + 1

    def backoff(self) -> float:
        """Wait before the next attempt while failing: 1, 2, 4, 8, 8 … s (itchat adds its own 1 s)."""
        delay = 0.0 if self.errors <= 1 else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (self.errors - 2))
        if delay:
            self.sleep(delay)
        return delay

    def failed(self, error: BaseException | str) -> None:
        with self._lock:
            self.errors += 1
            errors = self.errors
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        _report(self.on_error, errors, text[:300])

    def succeeded(self) -> None:
        with self._lock:
            errors, self.errors = self.errors, 0
        if errors:
            _report(self.on_recovered, errors)


def _report(callback: Callable, *args) -> None:
    try:
        callback(*args)
    except Exception:  # reporting (Redis) may be down too; the receive loop must go on regardless
        logger.warning("could not record the WeChat connection state", exc_info=True)


def _sync_check(core):
    """itchat's sync_check, except that only a real synccheck answer can end the session."""
    from itchat import config

    watch: ConnectionWatch | None = getattr(core, WATCH_ATTR, None)
    if watch is None:  # between login and watch(): count errors quietly, watch() takes the count over
        watch = ConnectionWatch(lambda errors, text: None, lambda errors: None)
        setattr(core, WATCH_ATTR, watch)
        core.receivingRetryCount = ENDLESS
    watch.backoff()
    watch.quiet_pause()
    info = core.loginInfo
    params = {"r": int(time.time() * 1000), "skey": info["skey"], "sid": info["wxsid"], "uin": info["wxuin"],
              "deviceid": info["deviceid"], "synckey": info["synckey"], "_": int(time.time() * 1000)}
    url = f"{info.get('syncUrl', info['url'])}/synccheck"
    try:
        response = core.s.get(url, params=params, headers={"User-Agent": config.USER_AGENT},
                              timeout=SYNC_CHECK_TIMEOUT)
        response.raise_for_status()
        match = _SYNC_CHECK.search(response.text)
        if match is None:
            raise WeChatUnavailable(f"unexpected synccheck answer: {response.text[:80]!r}")
    except Exception as exc:
        if not core.alive:  # the loop is being stopped (drivers/itchat/loops.py cut its poll short): not an outage
            return "0"
        watch.failed(exc)
        raise
    if match.group(1) != "0":
        logger.info("synccheck retcode %s: the WeChat session has ended", match.group(1))
        if not getattr(core, SYNCED_ATTR, False):  # not one good synccheck since the login: a refusal
            from drivers.itchat.login_mode import note_refusal_after_login

            note_refusal_after_login(core, match.group(1))
        return None
    setattr(core, SYNCED_ATTR, True)
    if match.group(2) == "0":  # nothing new: the round trip succeeded; otherwise get_msg decides
        watch.succeeded()
        watch.fetched(True)  # a long poll that ran its course: the server is not answering at once
    return match.group(2)


def install() -> None:
    """Replace itchat's sync_check (idempotent); call before the Bot logs in, so no answer is ever misread."""
    global _installed
    if _installed:
        return
    import itchat.components.login as login

    login.sync_check = _sync_check  # the receive loop looks the module-level function up on every round
    _installed = True


def watch(core, on_error: Callable[[int, str], None], on_recovered: Callable[[int], None]) -> ConnectionWatch:
    """Make this itchat core ride out outages; call before its receive loop handles messages."""
    install()
    connection = ConnectionWatch(on_error, on_recovered)
    previous = getattr(core, WATCH_ATTR, None)
    connection.errors = previous.errors if previous is not None else 0
    connection.quiet_rounds = previous.quiet_rounds if previous is not None else 0
    setattr(core, WATCH_ATTR, connection)
    core.receivingRetryCount = ENDLESS
    fetch = core.get_msg

    def get_msg():
        try:
            result = fetch()
        except Exception as exc:
            if core.alive:  # a fetch cut short because the loop is being stopped is not an outage
                connection.failed(exc)
            raise
        connection.succeeded()
        messages, contacts = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        connection.fetched(bool(messages or contacts))
        return result

    core.get_msg = get_msg
    return connection
