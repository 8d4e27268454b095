"""Loading plugins from the built-in package, entry points and PLUGIN_PATHS folders."""

import sys

import pytest

from tests.plugins.conftest import COMMUNITY
from wechat.plugins.loader import load_plugins, plugin_paths
from wechat.plugins.spec import PluginInvalid, spec_from_object


def test_builtins_load():
    result = load_plugins(builtin_package="plugins", entry_point_group=None)
    assert {"help", "autoreply", "llm"} <= set(result.plugins)
    assert result.errors == []
    assert result.plugins["help"].exclusive and not result.plugins["llm"].enabled_by_default
    assert result.plugins["llm"].secrets == frozenset({"api_key"})


def test_community_folder_loads_and_broken_files_are_reported(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad_import.py").write_text("import does_not_exist_anywhere\n")
    (broken / "no_main.py").write_text("class P:\n    name = 'NoMain'\n\ndef export():\n    return P\n")
    (broken / "dupe.py").write_text("class P:\n    name = 'EchoPlugin'\n    main = staticmethod(lambda m: 1)\n"
                                    "\ndef export():\n    return P\n")
    result = load_plugins(plugin_paths(f"{COMMUNITY}:{broken}:{tmp_path / 'missing'}"), builtin_package=None,
                          entry_point_group=None)
    assert list(result.plugins) == ["BoomPlugin", "EchoPlugin", "SlothPlugin"]
    echo = result.plugins["EchoPlugin"]
    assert [p.pattern for p in echo.patterns] == ["^echo "] and echo.msg_types == frozenset({"text"})
    errors = {e["source"].rsplit("/", 1)[-1]: e["error"] for e in result.errors}
    assert "ModuleNotFoundError" in errors["bad_import.py"]
    assert "main(msg)" in errors["no_main.py"]
    assert "already loaded" in errors["dupe.py"]
    assert "does not exist" in errors["missing"]


def test_entry_point_plugin_loads(entry_point_site, monkeypatch):
    monkeypatch.syspath_prepend(str(entry_point_site))
    result = load_plugins(builtin_package=None)
    assert "ping" in result.plugins
    assert result.plugins["ping"].source.startswith("entry point ping")
    assert result.plugins["ping"].main(None) == "pong"
    sys.modules.pop("wxa_ping_plugin", None)


def test_spec_checks_the_interface():
    def make(**attributes):
        return type("P", (), {"name": "p", "main": staticmethod(lambda m: None), **attributes})

    assert spec_from_object(make(), "x").run_async and spec_from_object(make(), "x").except_self
    for bad in ({"name": "has space"}, {"main": None}, {"time_limit": 0}, {"settings": {"k": object()}},
                {"settings": {"a": ""}, "secrets": ["b"]}, {"msg_types": 3}):
        with pytest.raises(PluginInvalid):
            spec_from_object(make(**bad), "x")
