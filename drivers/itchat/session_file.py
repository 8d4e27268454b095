"""The pickles that keep a WeChat session (itchat.pkl) and wxpy's puid map: private, and loaded only from ours.

Unpickling runs code, so whoever can write one of these files owns the bot's process; and itchat.pkl holds the
session cookies. Every write here is atomic with mode 0600 in a 0700 folder; a read first checks that the file is
a regular file (not a symlink) owned by this user, that neither it nor its folder is writable by anyone else, and
(for itchat's session) that it lies in a session folder `protect()` registered (under the instance folder).
itchat's dump_login_status/load_login_status are replaced on its Core class by `install()` (itchat unmodified).
"""

from __future__ import annotations

import logging
import os
import pickle
import stat
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_folders: set[Path] = set()
_installed = False


class UntrustedSessionFile(Exception):
    """A session pickle this process did not write privately: it is not loaded."""


def protect(folder: Path) -> None:
    """Create the session folder 0700 (tightening an existing one and its files) and trust it for itchat.pkl."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(folder, FOLDER_MODE)
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            os.chmod(path, FILE_MODE)
    _folders.add(folder.resolve())


def write_pickle(path: Path, value: Any) -> None:
    """Pickle `value` to `path` atomically (a crash mid-write keeps the old file), readable by this user only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # O_CREAT's mode does not apply to a file that already existed
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def check(path: Path, registered: bool = False) -> None:
    """Raise UntrustedSessionFile unless `path` is a private regular file of ours (in a registered folder)."""
    try:
        info = os.lstat(path)
        folder_info = os.stat(path.parent)
    except OSError as exc:
        raise UntrustedSessionFile(f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedSessionFile(f"{path} is not a regular file")
    if info.st_uid != os.getuid() or folder_info.st_uid != os.getuid():
        raise UntrustedSessionFile(f"{path} or its folder belongs to another user")
    if info.st_mode & 0o022 or folder_info.st_mode & 0o022:
        raise UntrustedSessionFile(f"{path} or its folder is writable by others")
    if registered and path.parent.resolve() not in _folders:
        raise UntrustedSessionFile(f"{path} is not in a session folder of this instance")


def read_pickle(path: Path, registered: bool = False) -> Any:
    check(path, registered)
    with open(path, "rb") as handle:
        return pickle.load(handle)


def install() -> None:
    """Route itchat's hot-reload file through `write_pickle` and `check` (idempotent)."""
    global _installed
    if _installed:
        return
    from itchat.config import VERSION
    from itchat.core import Core
    from itchat.returnvalues import ReturnValue

    original_load = Core.load_login_status

    def dump_login_status(self, fileDir=None):
        status = {"version": VERSION, "loginInfo": self.loginInfo, "cookies": self.s.cookies.get_dict(),
                  "storage": self.storageClass.dumps()}
        write_pickle(Path(fileDir or self.hotReloadDir), status)

    def load_login_status(self, fileDir, loginCallback=None, exitCallback=None):
        try:
            check(Path(fileDir), registered=True)
        except UntrustedSessionFile as exc:
            if Path(fileDir).exists() or Path(fileDir).is_symlink():
                logger.warning("not loading the saved WeChat session: %s", exc)
            return ReturnValue({"BaseResponse": {"ErrMsg": "session file not loaded", "Ret": -1002}})
        return original_load(self, fileDir, loginCallback, exitCallback)

    Core.dump_login_status = dump_login_status
    Core.load_login_status = load_login_status
    _installed = True
