"""The long-running listener: holds the one wxpy Bot of an account for as long as it is logged in.

Life of a listener (one Celery task):
1. take the account's Redis lease (only one listener per account, cluster-wide) and with it a generation (a fencing
   token, wechat/bot/lease.py): every write of the login state, QR image, heartbeat and account identity carries it,
   and Redis drops it once a newer listener holds the lease (wechat/bot/fence.py); give up if another holds it;
2. consume the account's bot queue, so bot commands reach this process;
3. log in (QR code → Redis + SSE, or at once from the saved session), then run until one of:
   logout (dashboard or phone), the bot's loop stopping, a stop request, worker shutdown, or the lease lost;
   "new QR code" from the dashboard replaces the QR code inside this listener's own login loop;
4. stop every loop it started (QR polling, synccheck, message loop, heartbeat: drivers/itchat/loops.py) and wait for
   them, then give the lease up and say "no listener" in the same step; after a logout or a stopped bot start a
   fresh listener (new QR code).
Worker shutdown keeps the WeChat session (saved for hot reload) instead of logging out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from libs.queues import bot_queue
from wechat.bot import runtime
from wechat.bot.driver_factory import itchat, itchat_login_fields
from wechat.bot.session_end import session_end_message
from wechat.bot.state import BotState

logger = logging.getLogger(__name__)

QR_STATES = {"0": "waiting", "408": "waiting", "201": "scanned", "200": "confirmed"}
# How long the end of a listener waits for each of its loops (they end within a second once the gate is closed).
JOIN_TIMEOUT = 10.0


@dataclass
class ListenerSettings:
    account: str
    lease_ttl: float = 15.0
    heartbeat_interval: float = 2.0
    acquire_wait: float = 20.0
    save_interval: float = 30.0


class Listener:
    def __init__(self, state: BotState, files: itchat.SessionFiles, settings: ListenerSettings, task_id: str,
                 hostname: str, relaunch: Callable[[], None],
                 install_handlers: Callable[[object, Callable, Callable], None] = lambda bot, done, halt: None,
                 on_ready: Callable[[object], None] = lambda bot: None,
                 on_session_end: Callable[[str], None] = lambda message: None) -> None:
        self.state = state
        self.files = files
        self.settings = settings
        self.task_id = task_id
        self.hostname = hostname
        self.relaunch = relaunch
        self.install_handlers = install_handlers
        self.on_ready = on_ready
        self.on_session_end = on_session_end
        self.lease = state.lease(settings.lease_ttl)
        self.gate = itchat.LoopGate()
        self.stop_event = threading.Event()
        self.stop_reason = ""
        self.end_message = ""
        self.bot = None
        self.checkpoint: itchat.SyncCheckpoint | None = None
        self._shutting_down = False
        self._threads: list[threading.Thread] = []
        self._outcome: dict[str, object] = {}
        self._qr: tuple[str, str, bytes] | None = None  # the QR state this listener last wrote: state, uuid, PNG

    # -- public ------------------------------------------------------------------------------------------------
    def run(self) -> str:
        """Run until the bot is done; returns why it ended."""
        if not self._acquire():
            logger.info("listener %s: another listener holds %s; exiting", self.task_id, self.lease.key)
            # This launch is settled: let the watchdog launch again at once if the holder dies.
            self.state.clear_launch()
            return "busy"
        runtime.set_listener(self, self.settings.account)
        self.state.listener_started(self.task_id, self.hostname)
        self._start_thread(self._heartbeat_loop, "listener-heartbeat")
        reason = "killed"  # what remains if the task itself is killed (revoke with terminate) mid-way
        try:
            self._consume(True)
            reason = self._run_bot()
        finally:
            self._end_loops(keep_session=reason not in ("logged_out", "refused"))
            self._consume(False)
            runtime.clear_bot(self.settings.account)
            runtime.clear_listener(self, self.settings.account)
            self.state.release(self.task_id, reason, message=self.end_message or reason,
                               keep_login=reason == "refused")
        if reason.startswith("halted"):
            time.sleep(5)  # the database is down: give it a moment before the next listener tries
        if (reason in ("logged_out", "bot_stopped", "connection_failed") or reason.startswith("halted")) \
                and not self._shutting_down:
            logger.info("listener %s ended (%s); starting a fresh one", self.task_id, reason)
            self.relaunch()
        return reason

    def stop(self, reason: str, shutting_down: bool = False) -> None:
        """Ask the listener to end (from another greenlet: worker shutdown, a stop request, a lost lease)."""
        self._shutting_down = self._shutting_down or shutting_down
        if not self.stop_event.is_set():
            self.stop_reason = reason
            self.stop_event.set()

    # -- steps -------------------------------------------------------------------------------------------------
    def _acquire(self) -> bool:
        deadline = time.monotonic() + self.settings.acquire_wait
        while not self.state.acquire(self.task_id, self.settings.lease_ttl):
            if time.monotonic() > deadline or self.stop_event.wait(0.5):
                return False
        return True

    def _start_thread(self, target: Callable[[], None], name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _consume(self, start: bool) -> None:
        """Start or stop consuming the bot queue in this worker.

        Done in the consumer's own loop, between two reads (Celery's remote control does the same under gevent).
        Called from this greenlet during a read, kombu defers the cancel; a deferred cancel that ran after the next
        listener's add removed the NEW consumer's callback while its queue stayed in the BRPOP cycle, and every bot
        task then bounced ("Requeuing undeliverable message ... No consumers") several times a second.
        """
        queue = bot_queue(self.settings.account)
        consumer = runtime.consumer()
        if consumer is None:
            logger.warning("no Celery consumer registered; bot commands will not reach this process")
            return
        operation = consumer.add_task_queue if start else consumer.cancel_task_queue

        def apply() -> None:
            try:
                operation(queue)
            except Exception:
                logger.exception("could not %s consuming %s", "start" if start else "stop", queue)

        consumer.call_soon(apply)

    def _run_bot(self) -> str:
        self.state.set_login("starting", task_id=self.task_id)
        outcome = self._outcome

        def build() -> None:
            try:
                itchat.install_resilience()  # before login: an outage must never read as a logout
                bot = itchat.create_bot(self.files, self._on_qr, self._on_login, self._on_logout, gate=self.gate)
                outcome["bot"] = bot
                # The bot's message loop is held until the checkpoint and our handlers are in place.
                self.checkpoint = itchat.SyncCheckpoint(bot.core, self.files.hot_reload)
                # After the checkpoint: it wraps get_msg too, and errors must be counted around its wrapper.
                itchat.watch_connection(bot.core, self.state.wechat_error, self.state.wechat_recovered)
                self.install_handlers(bot, lambda msg: self.checkpoint.done(msg.raw), self.stop)
                if self.gate.stopped:
                    return  # stopped while logging in: never start handling messages
                bot.release()
            except BaseException as exc:  # noqa: BLE001  (reported to the waiting listener, then handled there)
                outcome["error"] = exc
            finally:
                built.set()

        built = threading.Event()
        self._start_thread(build, "bot-login")
        while not built.wait(0.5):
            if self.stop_event.is_set():
                return self._abandon_login()
        error = outcome.get("error")
        if self.stop_event.is_set() or isinstance(error, itchat.LoopStopped):
            return self._abandon_login()
        if isinstance(error, itchat.LoginRefused):
            self.state.set_paused("refused")
            self.state.set_login("refused", message=error.message, ret=error.ret)
            return "refused"
        if isinstance(error, itchat.ConnectionFailed):
            self.end_message = str(error)
            self.stop_event.wait(5)  # back off before the relaunch; a down server must not become a crash loop
            return "connection_failed"
        if error is not None:
            logger.error("login failed", exc_info=error)
            self.end_message = f"login failed: {error}"
            return "connection_failed"
        return self._serve(outcome["bot"])

    def _serve(self, bot) -> str:
        self.bot = bot
        itchat.save_session(bot, self.files, self.checkpoint)
        runtime.set_bot(bot, self.settings.account)
        try:
            self.state.clear_wechat_health()  # a new session starts healthy; an old outage is no longer news
        except Exception:
            logger.warning("could not reset the WeChat connection state", exc_info=True)
        me = bot.self
        if not self.state.set_login("logged_in", nick_name=me.nick_name or "", puid=me.puid or "",
                                    **itchat_login_fields()):
            self.stop("lease_lost")  # a newer listener holds the lease: this one must not serve
        else:
            try:
                self.on_ready(bot)
            except Exception:
                logger.exception("after-login hook failed")
        last_save = time.monotonic()
        while not self.stop_event.wait(0.5):
            if not bot.alive:
                return self._logged_out(bot)
            if time.monotonic() - last_save > self.settings.save_interval:
                itchat.save_session(bot, self.files, self.checkpoint)
                last_save = time.monotonic()
        reason = self.stop_reason or "stopped"
        runtime.clear_bot(self.settings.account)
        if reason == "logout":
            self._logout(bot)
            return "logged_out"
        # Shutdown or a lost lease: the session is kept for the next listener (saved in _end_loops), no logout.
        return reason

    # -- endings -----------------------------------------------------------------------------------------------
    def _abandon_login(self) -> str:
        """Stopped while waiting for a scan: a new listener will show a new QR code."""
        return self.stop_reason or "stopped"

    def _end_loops(self, keep_session: bool) -> None:
        """Stop every loop this listener started and wait for them, so none of them acts after the task ends."""
        self.stop_event.set()
        self._quiet = True
        self._stop_bot(keep_session)
        self.gate.stop()  # after `alive` is False: an interrupted poll of a stopping loop is not an outage
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in self._threads:  # the login and the heartbeat
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        self._stop_bot(keep_session)  # a login the builder finished just before the gate closed
        bot = self._outcome.get("bot")
        loops = list(self.gate.threads)  # itchat's receive loop
        if bot is not None and getattr(bot, "listening_thread", None) is not None:
            loops.append(bot.listening_thread)  # wxpy's message loop
        for thread in loops:
            thread.join(max(0.0, deadline - time.monotonic()))
        running = [thread.name for thread in [*self._threads, *loops] if thread.is_alive()]
        if running:
            logger.warning("listener %s: loops still running after %.0f s: %s", self.task_id, JOIN_TIMEOUT, running)

    def _stop_bot(self, keep_session: bool) -> None:
        """End the bot's receive loop and wxpy's message loop without logging out (saving the session first)."""
        bot = self.bot if self.bot is not None else self._outcome.get("bot")
        if bot is None or not bot.alive:
            return
        if keep_session:
            try:  # before the loops end: itchat clears the session's cookies when its receive loop ends
                itchat.save_session(bot, self.files, self.checkpoint)
            except Exception:
                logger.warning("could not save the WeChat session", exc_info=True)
        bot.core.alive = False

    def _logout(self, bot) -> None:
        self._quiet = True
        try:
            bot.logout()
        except Exception:
            logger.warning("logout request failed", exc_info=True)
        self.files.forget_session()
        self.end_message = "logged out from the dashboard"
        self.state.set_login("logged_out", message=self.end_message)

    def _logged_out(self, bot) -> str:
        runtime.clear_bot(self.settings.account)
        self.files.forget_session()
        refused = itchat.refusal_after_login(bot.core)
        if refused is not None:  # the session ended at its first synccheck: a refused login, not a logout
            self.state.set_paused("refused")
            self.state.set_login("refused", message=refused.message, ret=refused.ret)
            return "refused"
        try:  # puids outlive the session: without this, those assigned since the last save changed at next login
            if getattr(bot, "puid_map", None) is not None:
                bot.puid_map.dump()
        except Exception:
            logger.warning("could not save the puid map", exc_info=True)
        login = self.state.recorded_login()
        logged_in_at = login.get("updated_at") if login.get("state") == "logged_in" else None
        self.end_message = session_end_message(logged_in_at, time.time())
        self.state.set_login("logged_out", message=self.end_message)
        self.state.note_session_end(self.end_message)  # shown beside the fresh QR until the next login
        try:
            self.on_session_end(self.end_message)
        except Exception:
            logger.warning("could not queue the session-end notification", exc_info=True)
        return "logged_out"

    # -- callbacks (called by itchat on its own threads) ---------------------------------------------------------
    _quiet = False

    def _on_qr(self, uuid: str, status: str, qrcode: bytes) -> None:
        if self.gate.stopped or self.stop_event.is_set():
            raise itchat.LoopStopped("the listener is stopping")  # ends itchat's QR loop here and now
        if str(status) == "400":
            return  # expired (or replaced on request): itchat fetches a new QR code and reports it at once
        state = QR_STATES.get(str(status), "waiting")
        if self._qr is not None and self._qr[:2] == (state, uuid):
            return
        png = qrcode if qrcode and (self._qr is None or self._qr[1] != uuid) else None
        self._qr = (state, uuid, qrcode or (self._qr[2] if self._qr else b""))
        if not self.state.set_login(state, uuid=uuid, qrcode=png):
            logger.warning("listener %s: a newer listener holds the lease; ending this QR login", self.task_id)
            self.stop("lease_lost")
            raise itchat.LoopStopped("fenced off by a newer listener")

    def _on_login(self) -> None:
        logger.info("WeChat login confirmed")

    def _on_logout(self) -> None:
        if not self._quiet:
            logger.info("WeChat session ended")

    def _restore_state(self) -> None:
        """The lease had expired unheld (Redis restarted empty, or a stall) and was taken again, with a new
        generation: write the listener and login state again, so the web sees what runs."""
        logger.warning("listener %s: lease expired but unheld (Redis restart or a stall); took it again", self.task_id)
        self.state.listener_started(self.task_id, self.hostname)
        bot = self.bot
        if bot is not None and bot.alive:
            self.state.set_login("logged_in", nick_name=bot.self.nick_name or "", puid=bot.self.puid or "",
                                 **itchat_login_fields())
        elif self._qr is not None:
            state, uuid, png = self._qr
            self.state.set_login(state, uuid=uuid, qrcode=png or None)

    # -- heartbeat ---------------------------------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        while not self.stop_event.wait(self.settings.heartbeat_interval):
            try:
                # Not renewable, and free: Redis restarted and lost its data, or this process stalled past the TTL
                # (a SQLite busy wait blocks every greenlet) and nobody took over. Take it again instead of stopping
                # a healthy bot; a lease someone else holds still stops this listener.
                if not self.lease.renew(self.task_id):
                    if not self.state.acquire(self.task_id, self.settings.lease_ttl):
                        logger.error("listener %s lost its lease; stopping", self.task_id)
                        self.stop("lease_lost")
                        return
                    self._restore_state()
                if not self.state.heartbeat(self.task_id):
                    logger.error("listener %s: a newer listener holds the lease; stopping", self.task_id)
                    self.stop("lease_lost")
                    return
                if self.state.stop_requested(self.task_id):
                    self.stop("stop_requested")
                elif self.state.take_logout_request() and self.bot is not None:
                    self.stop("logout")  # a request while no bot is logged in is dropped, not kept for later
                elif self.bot is None and self.state.take_qr_refresh():
                    logger.info("listener %s: replacing the QR code on request", self.task_id)
                    self.gate.refresh_qr()
            except Exception:  # Redis briefly down: keep trying; the lease TTL decides if we lost it
                logger.warning("heartbeat failed", exc_info=True)
