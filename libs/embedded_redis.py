"""The Redis that `make run` starts when REDIS_URL is not set: the system's maintained `redis-server`.

Reachable by the product only: no TCP port at all, a unix socket in `<instance>/redis/` (mode 0700, so other local
users cannot even connect) and a generated password in `<instance>/redis/password` (0600) that every client sends.
The password reaches the server through a 0600 config file, never the command line (`ps` shows that to everyone).
Web, worker, beat and Flower find both through the REDIS_URL that config.py derives from the same instance folder.

Runs in the foreground (honcho supervises it and stops it on Ctrl-C), data (AOF) in the same private folder.
Usage: python -m libs.embedded_redis [--instance instance]
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from libs.instance_files import private_dir, read_or_create_secret

# sun_path is 108 bytes on Linux, the terminating NUL included.
MAX_SOCKET_PATH = 107
INSTALL_HINT = "install it (as root: apt-get install -y redis-server, which `make run` does) or set REDIS_URL"


def redis_dir(instance_path: Path) -> Path:
    return Path(instance_path).resolve() / "redis"


def socket_path(instance_path: Path) -> Path:
    return redis_dir(instance_path) / "redis.sock"


def password(instance_path: Path) -> str:
    """The embedded server's password, generated on first use (whichever process starts first)."""
    return read_or_create_secret(private_dir(redis_dir(instance_path)) / "password")


def embedded_redis_url(instance_path: Path) -> str:
    """The REDIS_URL of the embedded server (redis-py's unix:// form; config.celery_settings adapts it for Celery)."""
    return f"unix://:{password(instance_path)}@{socket_path(instance_path)}?db=0"


def redis_server_binary() -> str:
    """The system's redis-server (a distribution package gets security fixes; a wheel's copy did not)."""
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if binary is None:
        raise RuntimeError(f"redis-server is not installed: {INSTALL_HINT}")
    return binary


def server_config(instance_path: Path) -> str:
    """redis.conf for the embedded server. Hardening beyond the socket and password: no debug or module
    commands and no CONFIG (the classic way to turn Redis access into writing files elsewhere)."""
    sock = socket_path(instance_path)
    if len(os.fsencode(sock)) > MAX_SOCKET_PATH:
        raise RuntimeError(f"the Redis socket path {sock} is longer than {MAX_SOCKET_PATH} bytes: "
                           "use a shorter INSTANCE_PATH or set REDIS_URL")
    lines = [
        "port 0",  # no TCP listener
        f'unixsocket "{sock}"',
        "unixsocketperm 700",
        f"requirepass {password(instance_path)}",
        f'dir "{redis_dir(instance_path)}"',
        "appendonly yes",  # survive a restart with counters and queued tasks intact
        'save ""',
        "daemonize no",
        "protected-mode yes",
        "enable-debug-command no",
        "enable-module-command no",
        "enable-protected-configs no",
        'rename-command CONFIG ""',
    ]
    return "\n".join(lines) + "\n"


def write_server_config(instance_path: Path) -> Path:
    """Write the config file (0600, in the 0700 folder) and return its path."""
    folder = private_dir(redis_dir(instance_path))
    path = folder / "redis.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(server_config(instance_path))
    path.chmod(0o600)  # the file may predate this version
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", type=Path, default=Path(os.environ.get("INSTANCE_PATH") or "instance"))
    args = parser.parse_args(argv)
    try:
        binary = redis_server_binary()
        config_file = write_server_config(args.instance)
    except RuntimeError as exc:
        raise SystemExit(f"embedded redis: {exc}") from None
    os.execv(binary, [binary, str(config_file)])


if __name__ == "__main__":
    main()
