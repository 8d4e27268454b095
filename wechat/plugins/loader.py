"""Where plugins come from, in this order (the first plugin with a name wins; a later duplicate is an error):

1. built-ins: the modules of the project's `plugins` package;
2. installed packages: entry points in the group `wechat_admin.plugins` (a module with `export()`, an `export`
   function, or the plugin object itself);
3. folders in PLUGIN_PATHS (os.pathsep-separated): each `name.py` or `name/__init__.py` in them. As with the
   reference implementation, the folder goes on sys.path and the plugin is imported by its own name, so community
   plugins that import their own submodules keep working.

A plugin that fails to import or does not follow the interface is skipped and reported (GET /api/plugins); it
never stops the others from loading.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from wechat.plugins.spec import PluginInvalid, PluginSpec, spec_from_object

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "wechat_admin.plugins"
BUILTIN_PACKAGE = "plugins"


@dataclass
class LoadResult:
    plugins: dict[str, PluginSpec] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, source: str, produce) -> None:
        try:
            spec = spec_from_object(produce(), source)
        except Exception as exc:  # a broken plugin must not stop the others
            logger.warning("plugin from %s not loaded: %s", source, exc, exc_info=not isinstance(exc, PluginInvalid))
            self.errors.append({"source": source, "error": f"{type(exc).__name__}: {exc}"})
            return
        if spec.name in self.plugins:
            self.errors.append({"source": source, "error": f"a plugin named {spec.name!r} is already loaded "
                                                           f"from {self.plugins[spec.name].source}"})
            return
        self.plugins[spec.name] = spec


def exported(obj: Any) -> Any:
    """A module (or anything) with export() → its result; an export function → its result; else the object."""
    export = getattr(obj, "export", None)
    if callable(export):
        return export()
    if callable(obj) and not hasattr(obj, "main"):
        return obj()
    return obj


def plugin_paths(value: str | None) -> list[Path]:
    return [Path(part).expanduser() for part in (value or "").split(os.pathsep) if part.strip()]


def _load_from_folder(result: LoadResult, folder: Path) -> None:
    if not folder.is_dir():
        result.errors.append({"source": str(folder), "error": "PLUGIN_PATHS folder does not exist"})
        return
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    for child in sorted(folder.iterdir()):
        if child.name.startswith(("_", ".")):
            continue
        if child.is_dir() and (child / "__init__.py").is_file():
            name = child.name
        elif child.is_file() and child.suffix == ".py":
            name = child.stem
        else:
            continue
        result.add(str(child), lambda name=name, child=child: exported(_import_from(name, folder)))


def _import_from(name: str, folder: Path) -> Any:
    module = importlib.import_module(name)
    origin = Path(getattr(module, "__file__", "") or "").resolve()
    if folder.resolve() not in origin.parents:
        raise PluginInvalid(f"the name {name!r} is taken by another module ({origin}); rename the plugin")
    return module


def load_plugins(paths: list[Path] | None = None, builtin_package: str | None = BUILTIN_PACKAGE,
                 entry_point_group: str | None = ENTRY_POINT_GROUP) -> LoadResult:
    result = LoadResult()
    if builtin_package:
        package = importlib.import_module(builtin_package)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                full = f"{builtin_package}.{info.name}"
                result.add(f"builtin {full}", lambda full=full: exported(importlib.import_module(full)))
    if entry_point_group:
        for entry in sorted(metadata.entry_points(group=entry_point_group), key=lambda e: e.name):
            result.add(f"entry point {entry.name} ({entry.value})", lambda entry=entry: exported(entry.load()))
    for folder in paths or []:
        _load_from_folder(result, folder)
    return result
