"""The drivers' import rule, checked on the source with ast (docs/ARCHITECTURE's "drivers → the seam only").

- A module under drivers/ imports nothing of ours except the seam (``drivers.types``, ``drivers.interface``,
  ``drivers.group_errors``: what WeChat's answers to group operations mean, shared by every driver),
  modules of its own driver package, and leaf utilities of ``libs`` (a ``libs`` module that itself imports nothing
  of ours: text limits, path containment, emoji markup); ``drivers.types`` imports nothing of ours at all.
- Outside drivers/ (and tests/), nothing reaches into a driver's internals: only ``drivers``,
  ``drivers.types``, ``drivers.interface`` and a driver package itself (its public names) may be imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"app", "commands", "config", "drivers", "extensions", "libs", "models", "plugins", "sandbox", "tests",
        "views", "wechat", "migrations", "bench", "scripts"}
SEAM = {"drivers", "drivers.types", "drivers.interface", "drivers.group_errors", "drivers.group_notes"}


def imported_modules(root: Path, path: Path) -> list[str]:
    """Module names ``path`` imports; ``from a.b import c`` counts as ``a.b.c`` when c is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            folder = root.joinpath(*node.module.split("."))
            submodules = [f"{node.module}.{a.name}" for a in node.names
                          if (folder / f"{a.name}.py").exists() or (folder / a.name).is_dir()]
            names += submodules or [node.module]
    return names


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_leaf_lib(root: Path, module: str) -> bool:
    """A ``libs`` module that imports nothing of ours (so a driver using it still depends on nothing but the seam)."""
    parts = module.split(".")
    path = root.joinpath(*parts).with_suffix(".py")
    if parts[0] != "libs" or len(parts) != 2 or not path.is_file():
        return False
    return not any(imported.split(".")[0] in OURS for imported in imported_modules(root, path))


def driver_violations(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "drivers").rglob("*.py")):
        name = module_name(root, path)
        own = ".".join(name.split(".")[:2]) if name.count(".") >= 1 else name
        for imported in imported_modules(root, path):
            if imported.split(".")[0] not in OURS:
                continue
            in_own_package = own not in SEAM and (imported == own or imported.startswith(own + "."))
            seam = imported in SEAM and name != "drivers.types"
            leaf = name != "drivers.types" and is_leaf_lib(root, imported)
            if not (in_own_package or seam or leaf):
                found.append(f"{name} imports {imported}")
    return found


def product_files(root: Path):
    for entry in root.iterdir():
        if entry.name.startswith(".") or entry.name in ("drivers", "tests") or entry.is_symlink():
            continue
        if entry.is_dir():
            yield from entry.rglob("*.py")
        elif entry.suffix == ".py":
            yield entry


def outside_violations(root: Path) -> list[str]:
    """Outside drivers/ only the seam and a driver package itself (its public names) may be imported."""
    found = []
    for path in sorted(product_files(root)):
        for imported in imported_modules(root, path):
            if imported.split(".")[0] == "drivers" and imported not in SEAM and imported.count(".") > 1:
                found.append(f"{module_name(root, path)} imports {imported}")
    return found


def test_drivers_import_only_the_seam():
    assert driver_violations(ROOT) == []


def test_nothing_outside_reaches_into_a_driver():
    assert outside_violations(ROOT) == []


def test_the_rule_catches_violations(tmp_path):
    (tmp_path / "drivers" / "padpro").mkdir(parents=True)
    (tmp_path / "drivers" / "padpro" / "x.py").write_text(
        "import wechat.bot.listener\nfrom libs import redis_client\nfrom drivers.padpro import shapes\n"
        "from drivers.types import Capability\nimport requests\nfrom libs.text_limits import matchable\n")
    (tmp_path / "drivers" / "other.py").write_text("from drivers.padpro.client import GatewayClient\n")
    for module in ("client", "ws", "shapes"):
        (tmp_path / "drivers" / "padpro" / f"{module}.py").write_text("")
    (tmp_path / "wechat" / "bot").mkdir(parents=True)
    (tmp_path / "wechat" / "bot" / "listener.py").write_text(
        "from drivers.padpro.ws import WsConnection\nfrom drivers.padpro import PadProDriver\n"
        "from drivers.types import MessageEvent\n")
    (tmp_path / "libs").mkdir()
    # A libs module that imports one of ours is not a leaf: a driver must not use it.
    (tmp_path / "libs" / "redis_client.py").write_text("import regex\nfrom libs import text_limits\n")
    (tmp_path / "libs" / "text_limits.py").write_text("import regex\n")  # a leaf: allowed in drivers
    (tmp_path / "drivers" / "types.py").write_text("from drivers.interface import Driver\nimport libs.text_limits\n")
    (tmp_path / "views.py").write_text("from drivers.padpro import shapes\nfrom drivers import padpro\n")
    assert driver_violations(tmp_path) == [
        "drivers.other imports drivers.padpro.client",
        "drivers.padpro.x imports wechat.bot.listener",
        "drivers.padpro.x imports libs.redis_client",
        "drivers.types imports drivers.interface",
        "drivers.types imports libs.text_limits",
    ]
    assert outside_violations(tmp_path) == [
        "views imports drivers.padpro.shapes",
        "wechat.bot.listener imports drivers.padpro.ws",
    ]
