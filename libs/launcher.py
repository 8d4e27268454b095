"""`make run`: prepare the database, then run every process of the product under honcho.

Processes come from the Procfile. The embedded Redis (libs/embedded_redis.py: private socket and password in the
instance folder) runs only when REDIS_URL is not set, and the sandbox only while the driver's URL points at it (the
default; its control token goes to `<instance>/sandbox_token`): WECHAT_BASE_URL for itchat, PADPRO_BASE_URL for
`WECHAT_DRIVER=padpro` (the sandbox serves both faces). Settings come from the environment and `.env`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config import SANDBOX_URL

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; surrounding quotes removed."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def processes(env: dict[str, str]) -> list[str]:
    names = ["web", "worker", "beat"]
    if not env.get("REDIS_URL"):
        names.insert(0, "redis")
    if uses_sandbox(env):
        names.append("sandbox")
    return names


def uses_sandbox(env: dict[str, str]) -> bool:
    """The driver's server is the local sandbox (one process, both faces): the web face for itchat, the gateway
    face for padpro (PADPRO_BASE_URL unset follows WECHAT_BASE_URL, as config.py does)."""
    url = env.get("WECHAT_BASE_URL", SANDBOX_URL)
    if env.get("WECHAT_DRIVER", "itchat").strip().lower() == "padpro":
        url = env.get("PADPRO_BASE_URL") or url
    return url.rstrip("/") == SANDBOX_URL


def main() -> None:
    os.chdir(ROOT)
    env = {**read_dotenv(ROOT / ".env"), **os.environ}  # the real environment wins over the file
    env.setdefault("FLASK_APP", "app.py")
    flask = str(BIN / "flask")
    names = processes(env)
    # The embedded Redis is the system's redis-server: installed when missing (as root; the script says why not).
    if "redis" in names and subprocess.run(["bash", str(ROOT / "scripts" / "install-redis.sh")], env=env).returncode:
        raise SystemExit(1)
    subprocess.run([flask, "db", "upgrade"], env=env, check=True)
    subprocess.run([flask, "ensure-admin"], env=env, check=True)
    print(f"starting {', '.join(names)}; dashboard on http://{env.get('WEB_HOST', '127.0.0.1')}:"
          f"{env.get('WEB_PORT', '8100')}  (Ctrl-C stops everything)", flush=True)
    os.execve(str(BIN / "honcho"), ["honcho", "-f", "Procfile", "start", *names], env)


if __name__ == "__main__":
    main()
