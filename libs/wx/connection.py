"""Creating the wxpy Bot for the configured server, login mode and session files.

No forked itchat: the server is chosen with itchat.config.BASE_URL, the login mode by libs.wx.login_mode, and the
QR code / login / logout are reported through wxpy's callbacks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from libs import wx_compat
from libs.wx import login_mode

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionFiles:
    """Where one account keeps its WeChat session (itchat hot reload) and wxpy's puid map."""

    folder: Path

    @property
    def hot_reload(self) -> Path:
        return self.folder / "itchat.pkl"

    @property
    def puid_map(self) -> Path:
        return self.folder / "puid.pkl"

    def forget_session(self) -> None:
        """After a logout the saved session is useless (and must not be reused): delete it, keep the puid map."""
        self.hot_reload.unlink(missing_ok=True)


class ConnectionFailed(Exception):
    """The WeChat server could not be reached."""


def configure_itchat(base_url: str, mode: str, extspam: str) -> None:
    """Point itchat at a server and install the login mode; call before creating a Bot."""
    wx_compat.apply()
    import itchat.config

    itchat.config.BASE_URL = base_url.rstrip("/")
    login_mode.install(mode, extspam)


def _held_bot_class():
    import wxpy
    from wxpy.api.bot import logger as wxpy_logger

    class HeldBot(wxpy.Bot):
        """A wxpy Bot that does not start handling messages until `release()`.

        wxpy.Bot() starts its message loop inside the constructor, before anyone could register a handler, so
        messages already queued (after a hot reload WeChat re-delivers a batch right away) were handled by
        nobody and dropped. Holding the loop until our handlers are registered closes that window.
        """

        _held = True

        def start(self):
            if not self._held:
                super().start()

        def release(self) -> None:
            self._held = False
            self.start()

        def _process_message(self, msg):
            """wxpy's, minus one eager debug line: wxpy formats every message for logger.debug even when debug
            logging is off, and formatting a group's message builds all its members (about 90 ms for a group of
            500, so a burst of group notices stalled the message loop for minutes). wxpy's auto_mark_as_read,
            which we never turn on, is not carried over."""
            if not self.alive:
                return
            config = self.registered.get_config(msg)
            if wxpy_logger.isEnabledFor(logging.DEBUG):
                wxpy_logger.debug("%s: new message (func: %s):\n%s", self, config.func.__name__ if config else None,
                                  msg)
            if config is None:
                return

            def process():
                try:
                    reply = config.func(msg)
                    if reply is not None:
                        msg.reply(reply)
                except Exception:
                    wxpy_logger.exception("an error occurred in %s", config.func)

            if config.run_async:
                threading.Thread(target=process, daemon=True).start()
            else:
                process()

    return HeldBot


def create_bot(files: SessionFiles, qr_callback: Callable, login_callback: Callable,
               logout_callback: Callable):
    """Log in (blocking until the scan is confirmed, or at once from a saved session) and return the wxpy Bot.

    Its message loop is held: register handlers, then call `bot.release()`.
    """
    files.folder.mkdir(parents=True, exist_ok=True)
    try:
        bot = _held_bot_class()(cache_path=str(files.hot_reload), console_qr=False, qr_callback=qr_callback,
                                login_callback=login_callback, logout_callback=logout_callback)
    except SystemExit as exc:  # itchat calls sys.exit() when its connectivity probe fails
        raise ConnectionFailed("cannot reach the WeChat server") from exc
    from libs.wx.puid_map import IndexedPuidMap

    bot.puid_map = IndexedPuidMap(str(files.puid_map))  # what bot.enable_puid() does, with a faster map
    return bot


def save_session(bot, files: SessionFiles, checkpoint=None) -> None:
    """Persist the hot-reload state and the puid map (wxpy only writes them at exit, which SIGKILL skips).

    With a checkpoint, the saved SyncKey covers only messages already handled (see libs.wx.checkpoint).
    """
    if bot.alive:
        if checkpoint is not None:
            checkpoint.save(files.hot_reload)
        else:
            bot.core.dump_login_status(str(files.hot_reload))
    if bot.puid_map is not None:
        bot.puid_map.dump()
