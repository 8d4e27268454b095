"""The listener on a seam driver (drivers.interface.Driver): same lease, fencing, heartbeat, queue and endings as
wechat/bot/listener.py, but the login and the events go through the seam instead of wxpy's threads.

- login: the gateway may still hold the session (`login_state` is logged in at once); else a QR code from
  `login_qr` is drawn into the PNG the dashboard shows (stored where the itchat path's QR callback stores it),
  then `login_state` is polled every second (scanned, logged in, expired → a new code; "new QR code" from the
  dashboard → a new code). Every write carries the lease generation (wechat/bot/state.py + wechat/bot/fence.py).
- serving: a receiver thread polls `poll_events` and spools every event in Redis at once (wechat/bot/event_spool.py:
  a gateway never sends a pushed message again, so nothing may wait in memory), then acknowledges them to a
  driver that keeps a delivery checkpoint (kept in Redis; the next listener resumes from it, so what a killed
  worker read but never spooled is read again, and the spool takes each server id once); this task's loop takes
  up to 200 spooled events as one dispatcher batch (wechat/bot/dispatch.py: the archive commits before anything
  reacts) and removes them only after the batch. A LogoutEvent (or NotLoggedIn) ends the session, after what came
  before it, like a phone logout on the itchat path. The driver's name and capabilities are part of the login
  record, so the API and the dashboard know what to grey out.
- endings: `close()` keeps the gateway's session (worker shutdown, lost lease); only the dashboard's logout calls
  the driver's `logout`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable

from drivers.interface import Driver
from drivers.types import DriverError, LoginState, LoginStateEvent, LogoutEvent, NotLoggedIn
from wechat.bot import runtime
from wechat.bot.dispatch import BotContext, dispatch, end_batch, load_handlers
from wechat.bot.driver_factory import DriverConfigError, login_fields
from wechat.bot.event_spool import EventSpool
from wechat.bot.listener import Listener
from wechat.bot.seam import directory_of
from wechat.bot.session_end import session_end_message

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # one poll_events call: bounds how late a stop request is seen
LOGIN_POLL_SECONDS = 1.0
RETRY_SECONDS = 2.0  # after an outage of the gateway while logging in or serving
SPOOL_BATCH = 200  # events per dispatcher batch (the archive's BATCH_SIZE)
# Under load, batches no closer than this (a quiet account's message is handled at once): an account receiving
# twenty messages a second otherwise made a batch, a commit and five Redis round trips of each message.
BATCH_GAP_SECONDS = 0.25
RECEIVE_GAP_SECONDS = 0.1  # likewise between two polls that handed something out: one spool write for several
CHECKPOINT = "delivery_checkpoint"  # the driver's last acknowledged position (opaque text), per account


def qr_png(payload: str) -> bytes:
    """The QR code image the dashboard shows, drawn from the driver's payload (as itchat draws its own)."""
    import pyqrcode

    buffer = io.BytesIO()
    pyqrcode.create(payload, error="L").png(buffer, scale=8)
    return buffer.getvalue()


class _Gate:
    """What the base listener asks of its loop gate (drivers/itchat/loops.py), for a listener that has no wxpy loops."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.stopped = False
        self._refresh = threading.Event()

    def refresh_qr(self) -> None:
        self._refresh.set()

    def take_refresh(self) -> bool:
        if self._refresh.is_set():
            self._refresh.clear()
            return True
        return False

    def stop(self) -> None:
        self.stopped = True


class DriverListener(Listener):
    def __init__(self, *args, make_driver: Callable[[], Driver],
                 make_context: Callable[[Driver, Callable[[str], None]], BotContext], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.make_driver = make_driver
        self.make_context = make_context
        self.gate = _Gate()
        self.driver: Driver | None = None
        self._arrived = threading.Event()  # the receiver spooled events
        self._session_ended: str | None = None  # the receiver saw a logout (its reason)

    # -- login -------------------------------------------------------------------------------------------------
    def _run_bot(self) -> str:
        self.state.set_login("starting", task_id=self.task_id)
        try:
            self.driver = self.make_driver()
        except DriverConfigError as exc:
            # A wrong setting does not fix itself: show it and stop relaunching until the owner acts.
            self.state.set_paused("refused")
            self.state.set_login("refused", message=str(exc))
            return "refused"
        while not self.stop_event.is_set():
            try:
                ended = self._log_in(self.driver)
            except DriverError as exc:
                logger.warning("login through the %s driver failed: %s", self.driver.name, exc)
                self.end_message = f"login failed: {exc}"
                if self.stop_event.wait(RETRY_SECONDS * 2.5):
                    break
                return "connection_failed"
            if ended is not None:
                return ended
            return self._serve_driver(self.driver)
        return self._abandon_login()

    def _log_in(self, driver: Driver) -> str | None:
        """None once logged in; else why the login was abandoned."""
        if driver.login_state() is LoginState.LOGGED_IN:
            return None  # the gateway kept the session: no QR code
        while True:
            qr = driver.login_qr()
            if not self._write_qr("waiting", qr.uuid, qr_png(qr.payload)):
                return "lease_lost"
            while True:
                if self.stop_event.wait(LOGIN_POLL_SECONDS):
                    return self._abandon_login()
                if self.gate.take_refresh():
                    logger.info("listener %s: a new QR code on request", self.task_id)
                    break
                state = driver.login_state()
                if state is LoginState.LOGGED_IN:
                    return None
                if state is LoginState.EXPIRED or state is LoginState.LOGGED_OUT:
                    break
                if state is LoginState.SCANNED and not self._write_qr("scanned", qr.uuid, None):
                    return "lease_lost"

    def _write_qr(self, state: str, uuid: str, png: bytes | None) -> bool:
        if self._qr is not None and self._qr[:2] == (state, uuid):
            return True
        self._qr = (state, uuid, png or (self._qr[2] if self._qr else b""))
        if not self.state.set_login(state, uuid=uuid, qrcode=png):
            logger.warning("listener %s: a newer listener holds the lease; ending this QR login", self.task_id)
            self.stop("lease_lost")
            return False
        return True

    # -- serving -----------------------------------------------------------------------------------------------
    def _login_fields(self, driver: Driver) -> dict[str, str]:
        me = directory_of(driver).me()
        return {"nick_name": me.nick_name or "", "puid": me.id,
                **login_fields(driver.name, driver.capabilities, driver.id_stability)}

    def _serve_driver(self, driver: Driver) -> str:
        self.bot = driver
        runtime.set_bot(driver, self.settings.account)
        try:
            self.state.clear_wechat_health()
        except Exception:
            logger.warning("could not reset the WeChat connection state", exc_info=True)
        if not self.state.set_login("logged_in", **self._login_fields(driver)):
            self.stop("lease_lost")
        else:
            try:
                self.on_ready(driver)
            except Exception:
                logger.exception("after-login hook failed")
        load_handlers()
        ctx = self.make_context(driver, self.stop)
        spool = EventSpool(self.state.client, self.state.key("event_spool"))
        self._resume(driver)
        self._start_thread(lambda: self._receive(driver, spool), "driver-receiver")
        last_batch: float | None = None  # when the last batch short of SPOOL_BATCH was taken
        while not self.stop_event.is_set():
            if last_batch is not None and self.stop_event.wait(
                    max(0.0, last_batch + BATCH_GAP_SECONDS - time.monotonic())):
                break
            # Leftovers of a listener that died come first; then what the receiver spooled meanwhile.
            self._arrived.clear()
            try:
                events = spool.peek(SPOOL_BATCH)
            except Exception:
                logger.warning("could not read the event spool", exc_info=True)
                self.stop_event.wait(RETRY_SECONDS)
                continue
            last_batch = time.monotonic() if 0 < len(events) < SPOOL_BATCH else None
            for event in events:
                if event is not None:
                    dispatch(event, ctx)
            if events:
                end_batch(ctx)
                if ctx.halted:
                    break  # not removed from the spool: handled again after the restart
                spool.done(len(events))
                continue
            if self._session_ended is not None:
                return self._driver_logged_out(self._session_ended)
            self._arrived.wait(POLL_SECONDS)
        reason = self.stop_reason or "stopped"
        runtime.clear_bot(self.settings.account)
        if reason == "logout":
            self._quiet = True
            try:
                driver.logout()
            except DriverError:
                logger.warning("logout request failed", exc_info=True)
            self.end_message = "logged out from the dashboard"
            self.state.set_login("logged_out", message=self.end_message)
            return "logged_out"
        return reason

    def _receive(self, driver: Driver, spool: EventSpool) -> None:
        """The receiver: poll the driver and spool every event at once (wechat/bot/event_spool.py), so a worker that
        dies keeps nothing in memory the gateway will not send again. A logout ends the session once the
        dispatcher has handled everything spooled before it."""
        errors, held = 0, []
        while not self.stop_event.is_set():
            try:
                polled = driver.poll_events(POLL_SECONDS)
            except NotLoggedIn:
                polled = [LogoutEvent("the session ended")]
            except DriverError as exc:
                # The driver backs its WebSocket off itself; an outage is not a logout: count it (degraded), wait.
                errors += 1
                message = str(exc)[:300]
                self._report(lambda count=errors, text=message: self.state.wechat_error(count, text))
                self.stop_event.wait(RETRY_SECONDS)
                continue
            if errors:
                self._report(lambda count=errors: self.state.wechat_recovered(count))
                errors = 0
            ended = next((event for event in polled if isinstance(event, LogoutEvent)), None)
            held += [event for event in polled if not isinstance(event, LoginStateEvent | LogoutEvent)]
            try:
                spool.put(held)
                held = []
            except Exception:  # Redis briefly down: keep them here and try again with the next poll
                logger.warning("could not spool %d events; retrying", len(held), exc_info=True)
            else:
                self._acknowledge(driver)
            self._arrived.set()
            if ended is not None and not held:
                self._session_ended = ended.reason
                self._arrived.set()
                return
            if polled:
                self.stop_event.wait(RECEIVE_GAP_SECONDS)

    def _resume(self, driver: Driver) -> None:
        """Hand a driver that reads again after a crash (drivers/interface.py) the checkpoint last acknowledged:
        what a dead worker read from the service but never spooled comes again (the spool drops what it has)."""
        resume = getattr(driver, "resume_from", None)
        if resume is None:
            return
        try:
            stored = self.state.client.get(self.state.key(CHECKPOINT))
            checkpoint = stored.decode() if stored else None
        except Exception:  # unknown: read from the login's start rather than skip what may be unstored
            logger.warning("could not read the delivery checkpoint; reading the session again", exc_info=True)
            checkpoint = ""
        resume(checkpoint)

    def _acknowledge(self, driver: Driver) -> None:
        """Everything polled is spooled: keep the driver's new checkpoint (an older one kept is only a re-read)."""
        acknowledge = getattr(driver, "acknowledge", None)
        checkpoint = acknowledge() if acknowledge is not None else None
        if checkpoint:
            self._report(lambda: self.state.client.set(self.state.key(CHECKPOINT), checkpoint))

    def _report(self, write: Callable[[], object]) -> None:
        try:
            write()
        except Exception:
            logger.warning("could not record the WeChat connection state", exc_info=True)

    def _driver_logged_out(self, reason: str = "") -> str:
        """The gateway reports the session gone (kicked, logged out on the phone, expired): the same session-end
        path as the itchat side's (wechat/bot/session_end.py): the dashboard's notice, the webhook, a fresh QR."""
        runtime.clear_bot(self.settings.account)
        login = self.state.recorded_login()
        logged_in_at = login.get("updated_at") if login.get("state") == "logged_in" else None
        kind = "web" if getattr(self.driver, "name", "") == "itchat" else "gateway"
        self.end_message = session_end_message(logged_in_at, time.time(), kind=kind)
        self.state.set_login("logged_out", message=self.end_message[:300])
        self.state.note_session_end(self.end_message)  # shown beside the fresh QR until the next login
        logger.info("the %s session ended: %s", getattr(self.driver, "name", "driver"), reason or "no reason given")
        try:
            self.on_session_end(self.end_message)
        except Exception:
            logger.warning("could not queue the session-end notification", exc_info=True)
        return "logged_out"

    # -- endings -----------------------------------------------------------------------------------------------
    def _end_loops(self, keep_session: bool) -> None:
        self.stop_event.set()
        self._quiet = True
        self.gate.stop()
        for thread in self._threads:  # the heartbeat
            if thread is not threading.current_thread():
                thread.join(10)
        if self.driver is not None:
            try:
                self.driver.close()  # not a logout: the gateway keeps the session for the next listener
            except Exception:
                logger.warning("closing the driver failed", exc_info=True)

    def _restore_state(self) -> None:
        logger.warning("listener %s: lease expired but unheld (Redis restart or a stall); took it again", self.task_id)
        self.state.listener_started(self.task_id, self.hostname)
        if self.bot is not None:
            self.state.set_login("logged_in", **self._login_fields(self.bot))
        elif self._qr is not None:
            state, uuid, png = self._qr
            self.state.set_login(state, uuid=uuid, qrcode=png or None)
