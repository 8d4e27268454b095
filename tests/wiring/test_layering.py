"""The layering rule of the driver seam, checked on the source with ast (docs/DRIVERS.md, "Layering").

- wxpy/itchat are imported only by the itchat driver (drivers/itchat) and the product modules listed below that
  still read wxpy objects; a new import elsewhere fails here.
- A driver package (drivers.padpro, ...) is imported by exactly one product module: wechat/bot/driver_factory.py.
- drivers/ import nothing of ours but the seam: tests/drivers/test_import_rule.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.wiring.import_graph import imported as imports
from tests.wiring.import_graph import sources

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "drivers", "node_modules", "instance", "migrations"}
PROTOCOL_LIBRARIES = {"wxpy", "itchat"}
# Outside drivers/itchat (which may import wxpy/itchat, like any driver its protocol's library): only the ingest
# bench, which builds wxpy messages to feed the bare wxpy loop. Handlers, commands and the sync are driver-neutral
# (the itchat driver turns each wxpy Message into the seam's event: drivers/itchat/events.py).
ITCHAT_PATH = {"bench/ingest.py"}
DRIVER_FACTORY = "wechat/bot/driver_factory.py"
SEAM = {"drivers", "drivers.types", "drivers.interface", "drivers.group_errors", "drivers.group_notes"}


def protocol_violations(root: Path, allowed: set[str]) -> list[str]:
    return [f"{name} imports {module}" for name, path in sources(root, SKIP) if name not in allowed
            for module in sorted(imports(path)) if module.split(".")[0] in PROTOCOL_LIBRARIES]


def driver_package_violations(root: Path) -> list[str]:
    return [f"{name} imports {module}" for name, path in sources(root, SKIP) if name != DRIVER_FACTORY
            for module in sorted(imports(path)) if module.startswith("drivers.") and module not in SEAM]


def test_only_the_itchat_path_imports_wxpy_or_itchat():
    assert protocol_violations(ROOT, ITCHAT_PATH) == []


def test_among_drivers_only_the_itchat_driver_imports_wxpy_or_itchat():
    found = [f"{path.relative_to(ROOT).as_posix()} imports {module}"
             for path in sorted((ROOT / "drivers").rglob("*.py")) if "itchat" not in path.relative_to(ROOT).parts
             for module in sorted(imports(path)) if module.split(".")[0] in PROTOCOL_LIBRARIES]
    assert found == []
    assert any(m.split(".")[0] in PROTOCOL_LIBRARIES for m in imports(ROOT / "drivers/itchat/puid_map.py"))


def test_the_itchat_path_list_is_not_stale():
    """Each listed module still imports wxpy/itchat: a module that stopped leaves the list (it cannot start again)."""
    stale = [name for name in ITCHAT_PATH
             if not any(m.split(".")[0] in PROTOCOL_LIBRARIES for m in imports(ROOT / name))]
    assert stale == []


def test_only_the_factory_imports_a_driver_package():
    assert driver_package_violations(ROOT) == []


def test_the_rule_catches_a_new_import(tmp_path):
    """The checks fail on the old mistake: a view importing wxpy, a task importing the gateway client."""
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "bad.py").write_text("def f():\n    from wxpy import Bot\n")
    (tmp_path / "wechat").mkdir()
    (tmp_path / "wechat" / "tasks.py").write_text("from drivers.padpro.client import GatewayClient\n")
    assert protocol_violations(tmp_path, set()) == ["views/bad.py imports wxpy"]
    assert driver_package_violations(tmp_path) == ["wechat/tasks.py imports drivers.padpro.client"]
