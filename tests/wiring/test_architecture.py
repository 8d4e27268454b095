"""The package rule of docs/ARCHITECTURE.md, checked on the source with ast: imports point one way.

    entry points (app.py, commands.py, wechat/__init__.py, libs/launcher.py, bench/, scripts/)
      → views → plugins → wechat (services, bot, workers) → models → libs → extensions, config
    drivers → the seam only (tests/drivers/test_import_rule.py); sandbox → nothing of ours (it is the world)

Two finer rules: models (and drivers) import only *leaf* libs modules (ones that import nothing of ours), so libs
may read the models without a cycle; and views/plugins never import the worker side of the bot (the tasks, and every
module of wechat/bot/ and wechat/workers/ but the web-facing ones: the login record in Redis and what the web shows of
it): the web process must not load what only the process holding the bot runs.
"""

from __future__ import annotations

from pathlib import Path

from tests.wiring.import_graph import imported as imported_modules
from tests.wiring.import_graph import sources

ROOT = Path(__file__).resolve().parents[2]
OURS = {"app", "commands", "config", "extensions", "libs", "models", "views", "wechat", "drivers", "plugins",
        "sandbox", "bench", "scripts"}
# What each package may import of ours (itself always). Entry points below may import anything.
ALLOWED = {
    "extensions": set(),
    "config": {"libs"},
    "libs": {"extensions", "config", "models"},
    "models": {"extensions", "libs"},
    "wechat": {"extensions", "config", "libs", "models", "drivers"},
    "plugins": {"extensions", "libs", "models", "drivers", "wechat"},
    "views": {"extensions", "config", "libs", "models", "drivers", "wechat", "plugins"},
    "sandbox": set(),
    "drivers": {"libs"},  # leaf libs only; within drivers/ the seam rule is tests/drivers/test_import_rule.py
}
ENTRY_POINTS = {"app.py", "commands.py", "wechat/__init__.py", "libs/launcher.py"}
ENTRY_PACKAGES = {"bench", "scripts"}
# The worker side of the bot: only the worker (tasks, listener) imports these. Of the bot's packages, the web side
# may import only WEB_FACING (a new module there is worker-only until it is named here, with docs/ARCHITECTURE.md).
WORKER_ONLY = {"wechat.tasks"}
WORKER_PACKAGES = ("wechat.bot", "wechat.workers")
WEB_FACING = {"wechat.bot.state", "wechat.bot.lease", "wechat.bot.fence", "wechat.bot.capabilities",
              "wechat.bot.builtin_handlers",  # views/wechat.py lists the pending friend requests it keeps
              "wechat.workers.slots"}


def is_worker_only(module: str) -> bool:
    """`module` (or `module.name`) is the worker side: the tasks, or a bot module the web side may not load."""
    if any(module == name or module.startswith(name + ".") for name in WORKER_ONLY):
        return True
    if module in WORKER_PACKAGES or not module.startswith(tuple(package + "." for package in WORKER_PACKAGES)):
        return False  # the packages themselves import nothing
    return not any(module == name or module.startswith(name + ".") for name in WEB_FACING)


def package_of(name: str) -> str:
    return name.split("/")[0].removesuffix(".py")


def is_leaf(root: Path, module: str) -> bool:
    """A module that imports nothing of ours (a plain utility)."""
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        return False
    return not any(name.split(".")[0] in OURS for name in imported_modules(path, with_names=True))


def is_module(root: Path, module: str) -> bool:
    return root.joinpath(*module.split(".")).with_suffix(".py").exists()


def violations(root: Path) -> list[str]:
    found = []
    for name, path in sources(root):
        package = package_of(name)
        if name in ENTRY_POINTS or package in ENTRY_PACKAGES or package not in ALLOWED:
            continue
        modules = imported_modules(path, with_names=True)
        for module in sorted(modules):
            top = module.split(".")[0]
            if top not in OURS or top == package:
                continue
            if top not in ALLOWED[package]:
                found.append(f"{name} imports {module} ({package} → {top})")
            elif package in ("models", "drivers") and top == "libs" and is_module(root, module) \
                    and not is_leaf(root, module):
                found.append(f"{name} imports {module} ({package} import only leaf libs modules)")
            elif package in ("views", "plugins") and is_worker_only(module):
                found.append(f"{name} imports {module} (the worker side of the bot)")
    return found


def test_imports_point_one_way():
    assert violations(ROOT) == []


def test_every_top_level_package_is_placed():
    """A new top-level package must be given its place in ALLOWED (or be an entry point)."""
    packages = {package_of(name) for name, _ in sources(ROOT)} - {package_of(e) for e in ENTRY_POINTS}
    assert packages - set(ALLOWED) - ENTRY_PACKAGES - {"app", "commands"} == set()


def test_the_rule_catches_each_kind_of_mistake(tmp_path):
    def write(name: str, text: str) -> None:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    write("libs/metrics.py", "def f():\n    from wechat.control import bot_state\n")
    write("wechat/messages/archive.py", "from views.uploads import resolve\n")
    write("views/status.py", "from wechat.bot.listener import Listener\n")
    write("views/state.py", "from wechat.bot import capabilities\nfrom wechat.bot.state import BotState\n")
    write("plugins/place.py", "from wechat.workers import placer\nimport wechat.tasks\n")
    write("libs/auth.py", "from models.admin import AdminUser\n")
    write("models/admin.py", "from libs.auth import current\n")
    write("models/audit.py", "from libs.validation import fit\n")
    write("libs/validation.py", "import re\n")
    write("sandbox/world.py", "from models.message import Message\n")
    assert violations(tmp_path) == [
        "libs/metrics.py imports wechat.control (libs → wechat)",
        "libs/metrics.py imports wechat.control.bot_state (libs → wechat)",
        "models/admin.py imports libs.auth (models import only leaf libs modules)",
        "plugins/place.py imports wechat.tasks (the worker side of the bot)",
        "plugins/place.py imports wechat.workers.placer (the worker side of the bot)",
        "sandbox/world.py imports models.message (sandbox → models)",
        "sandbox/world.py imports models.message.Message (sandbox → models)",
        "views/status.py imports wechat.bot.listener (the worker side of the bot)",
        "views/status.py imports wechat.bot.listener.Listener (the worker side of the bot)",
        "wechat/messages/archive.py imports views.uploads (wechat → views)",
        "wechat/messages/archive.py imports views.uploads.resolve (wechat → views)",
    ]
