"""Creating the wxpy Bot for the configured server, login mode and session files.

No forked itchat: the server is chosen with itchat.config.BASE_URL, the login mode by drivers.itchat.login_mode, and the
QR code / login / logout are reported through wxpy's callbacks.
"""

from __future__ import annotations

import logging
import pickle
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.itchat import compat, inbound, login_mode, session_file
from drivers.itchat.loops import LoopGate
from libs.files import inside

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionFiles:
    """Where one account keeps its WeChat session (itchat hot reload) and wxpy's puid map."""

    folder: Path

    @classmethod
    def for_account(cls, instance_path: Path, account: str) -> SessionFiles:
        """instance/wechat/<account>; the account name (from the environment) must stay one folder inside."""
        folder = inside(instance_path / "wechat", account) if account and "/" not in account else None
        if folder is None or folder.parent != (instance_path / "wechat").resolve():
            raise ValueError(f"WECHAT_ACCOUNT must be a plain folder name, got {account!r}")
        return cls(folder)

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
    compat.apply()
    inbound.install()
    session_file.install()
    import itchat.config

    itchat.config.BASE_URL = base_url.rstrip("/")
    login_mode.install(mode, extspam)


def indexed_message_class() -> type:
    from wxpy import Message
    from wxpy.api.chats import Chat
    from wxpy.utils import wrap_user_name

    class IndexedMessage(Message):
        """wxpy's Message, finding its chat in the bot's `chat_index` (drivers/itchat/directory.py WxpyChats) instead of
        building every friend and group, and all members of the group, on each lookup."""

        def _get_chat_by_user_name(self, user_name):
            chat = self.bot.chat_index.find(user_name)
            return chat if chat is not None else Chat(wrap_user_name(user_name), self.bot)

    return IndexedMessage


def copying_search_chatrooms(storage) -> Callable:
    """itchat's Storage.search_chatrooms(userName=...), with a C-speed deep copy.

    itchat deep-copies the whole group, members included, for every group message it receives (to find the speaker
    and the @-mention); copy.deepcopy of a group of 100 took longer than everything else done for the message. The
    data is plain JSON (dicts, lists, strings, numbers), for which a pickle round trip is the same deep copy."""
    original = storage.search_chatrooms

    def search_chatrooms(name=None, userName=None):
        if userName is None:
            return original(name=name)
        with storage.updateLock:
            for chatroom in storage.chatroomList:
                if chatroom["UserName"] == userName:
                    return pickle.loads(pickle.dumps(chatroom, pickle.HIGHEST_PROTOCOL))
        return None

    return search_chatrooms


def _held_bot_class():
    import wxpy
    from wxpy.api.bot import logger as wxpy_logger
    from wxpy.api.consts import SYSTEM

    from drivers.itchat.directory import WxpyChats

    message_class = indexed_message_class()

    class HeldBot(wxpy.Bot):
        """A wxpy Bot that does not start handling messages until `release()`.

        wxpy.Bot() starts its message loop inside the constructor, before anyone could register a handler, so
        messages already queued (after a hot reload WeChat re-delivers a batch right away) were handled by
        nobody and dropped. Holding the loop until our handlers are registered closes that window.
        """

        _held = True

        def __init__(self, *args, gate: LoopGate | None = None, **kwargs):
            # Called with the last message taken from the queue whenever the queue is empty after it: the end of
            # a webwxsync batch, where the dispatcher stores what it collected (wechat/bot/dispatch.py).
            self.batch_end_hooks: list[Callable] = []
            self.chat_index = WxpyChats(self)
            self.gate = gate
            super().__init__(*args, **kwargs)

        # wxpy.Bot() creates its itchat core and logs in within the same constructor; the gate must be on the core
        # before the first request, so it is attached the moment wxpy assigns `self.core`.
        @property
        def core(self):
            return self.__dict__["core"]

        @core.setter
        def core(self, core):
            if self.gate is not None:
                self.gate.attach(core)
            self.__dict__["core"] = core
            storage = self.core.storageClass
            storage.search_chatrooms = copying_search_chatrooms(storage)

        def _listen(self):
            """wxpy's loop, making IndexedMessage objects (wxpy's Message looks up its chat the slow way in its
            constructor, once per message before any handler runs)."""
            try:
                wxpy_logger.info("%s: started", self)
                self.is_listening = True
                while self.alive and self.is_listening:
                    try:
                        msg = message_class(self.core.msgList.get(timeout=0.5), self)
                    except queue.Empty:
                        continue
                    if msg.type != SYSTEM:
                        self.messages.append(msg)
                    try:
                        self._process_message(msg)
                    except Exception:
                        wxpy_logger.exception("an error occurred while processing message %s", msg.id)
            finally:
                self.is_listening = False
                wxpy_logger.info("%s: stopped", self)

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
            which we never turn on, is not carried over. When the queue is empty afterwards, a webwxsync batch is
            done: the batch_end_hooks run."""
            if not self.alive:
                return
            try:
                self._handle(msg)
            finally:
                self._end_batch_if_drained(msg)

        def _handle(self, msg) -> None:
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

        def _end_batch_if_drained(self, msg) -> None:
            if not self.batch_end_hooks or not self.core.msgList.empty():
                return
            for hook in list(self.batch_end_hooks):
                try:
                    hook(msg)
                except Exception:
                    wxpy_logger.exception("an error occurred at the end of a batch in %s", hook)

    return HeldBot


def create_bot(files: SessionFiles, qr_callback: Callable, login_callback: Callable,
               logout_callback: Callable, gate: LoopGate | None = None):
    """Log in (blocking until the scan is confirmed, or at once from a saved session) and return the wxpy Bot.

    Its message loop is held: register handlers, then call `bot.release()`. With a gate (drivers/itchat/loops.py) the
    login can be stopped or its QR code replaced from another thread, and the bot's loops stopped later.
    """
    inbound.install()  # also configure_itchat's; repeated here for callers that set itchat up themselves
    session_file.install()
    session_file.protect(files.folder)  # 0700, and the only place itchat.pkl is loaded from
    try:
        bot = _held_bot_class()(cache_path=str(files.hot_reload), console_qr=False, qr_callback=qr_callback,
                                login_callback=login_callback, logout_callback=logout_callback, gate=gate)
    except SystemExit as exc:  # itchat calls sys.exit() when its connectivity probe fails
        raise ConnectionFailed("cannot reach the WeChat server") from exc
    from drivers.itchat.puid_map import IndexedPuidMap

    bot.puid_map = IndexedPuidMap(str(files.puid_map))  # what bot.enable_puid() does, with a faster map
    return bot


def save_session(bot, files: SessionFiles, checkpoint=None) -> None:
    """Persist the hot-reload state and the puid map (wxpy only writes them at exit, which SIGKILL skips).

    With a checkpoint, the saved SyncKey covers only messages already handled (see drivers.itchat.checkpoint).
    """
    if bot.alive:
        if checkpoint is not None:
            checkpoint.save(files.hot_reload)
        else:
            bot.core.dump_login_status(str(files.hot_reload))
    if bot.puid_map is not None:
        bot.puid_map.dump()
