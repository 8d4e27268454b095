"""The listener on a seam driver (drivers.interface.Driver): same lease, fencing, heartbeat, queue and endings as
wechat/listener.py, but the login and the events go through the seam instead of wxpy's threads.

- login: the gateway may still hold the session (`login_state` is logged in at once); else a QR code from
  `login_qr` is drawn into the PNG the dashboard shows (stored where the itchat path's QR callback stores it),
  then `login_state` is polled every second (scanned, logged in, expired → a new code; "new QR code" from the
  dashboard → a new code). Every write carries the lease generation (wechat/state.py + wechat/fence.py).
- serving: `poll_events` in this task's own loop; each poll is one dispatcher batch (wechat/dispatch.py), so the
  archive stores a poll's messages in one commit before anything reacts to them. A LogoutEvent (or NotLoggedIn)
  ends the session like a phone logout on the itchat path. The driver's name and capabilities are part of the
  login record, so the API and the dashboard know what to grey out.
- endings: `close()` keeps the gateway's session (worker shutdown, lost lease); only the dashboard's logout calls
  the driver's `logout`.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable

from drivers.interface import Driver
from drivers.types import DriverError, LoginState, LoginStateEvent, LogoutEvent, NotLoggedIn
from wechat import runtime
from wechat.dispatch import BotContext, dispatch, end_batch, load_handlers
from wechat.driver_factory import DriverConfigError, login_fields
from wechat.listener import Listener
from wechat.seam import directory_of

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # one poll_events call: bounds how late a stop request is seen
LOGIN_POLL_SECONDS = 1.0
RETRY_SECONDS = 2.0  # after an outage of the gateway while logging in or serving


def qr_png(payload: str) -> bytes:
    """The QR code image the dashboard shows, drawn from the driver's payload (as itchat draws its own)."""
    import pyqrcode

    buffer = io.BytesIO()
    pyqrcode.create(payload, error="L").png(buffer, scale=8)
    return buffer.getvalue()


class _Gate:
    """What the base listener asks of its loop gate (libs/wx/loops.py), for a listener that has no wxpy loops."""

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
        runtime.set_bot(driver)
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
        errors = 0
        while not self.stop_event.is_set():
            try:
                events = driver.poll_events(POLL_SECONDS)
            except NotLoggedIn:
                return self._driver_logged_out()
            except DriverError as exc:
                # The driver backs its WebSocket off itself; an outage is not a logout: count it (degraded) and wait.
                errors += 1
                message = str(exc)[:300]
                self._report(lambda count=errors, text=message: self.state.wechat_error(count, text))
                self.stop_event.wait(RETRY_SECONDS)
                continue
            if errors:
                self._report(lambda count=errors: self.state.wechat_recovered(count))
                errors = 0
            for event in events:
                if isinstance(event, LogoutEvent):
                    end_batch(ctx)
                    return self._driver_logged_out(event.reason)
                if not isinstance(event, LoginStateEvent):
                    dispatch(event, ctx)
            if events:
                end_batch(ctx)
            if ctx.halted:
                break
        reason = self.stop_reason or "stopped"
        runtime.clear_bot()
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

    def _report(self, write: Callable[[], object]) -> None:
        try:
            write()
        except Exception:
            logger.warning("could not record the WeChat connection state", exc_info=True)

    def _driver_logged_out(self, reason: str = "") -> str:
        runtime.clear_bot()
        self.end_message = "logged out (from the phone, or the session ended)" + (f": {reason}" if reason else "")
        self.state.set_login("logged_out", message=self.end_message[:300])
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
