"""Reading docker-compose files the way `docker compose` does, for tests that cannot run Docker.

Covers what our files use: YAML anchors and merge keys, the `!override` / `!reset` tags of Compose 2.24+, an
override file merged on top of the base (mappings merge key by key, lists of ports/volumes are replaced), and
`${VAR:-default}` / `$$` interpolation with the defaults (as on a machine with an empty .env).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?::?-([^}]*))?\}")


class Override:
    """A value tagged !override (replace instead of merge) or !reset (remove)."""

    def __init__(self, value: Any, reset: bool = False) -> None:
        self.value = value
        self.reset = reset


class ComposeLoader(yaml.SafeLoader):
    pass


def _tagged(reset: bool):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
        if isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_scalar(node)
        return Override(value, reset=reset)

    return construct


ComposeLoader.add_constructor("!override", _tagged(reset=False))
ComposeLoader.add_constructor("!reset", _tagged(reset=True))


def load(name: str) -> dict[str, Any]:
    return yaml.load((ROOT / name).read_text(), Loader=ComposeLoader)


def _strip(value: Any) -> Any:
    if isinstance(value, Override):
        return None if value.reset else _strip(value.value)
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not (isinstance(v, Override) and v.reset)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def merge(base: Any, override: Any) -> Any:
    if isinstance(override, Override):
        return _strip(override)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if isinstance(value, Override) and value.reset:
                merged.pop(key, None)
            else:
                merged[key] = merge(base.get(key), value) if key in base else _strip(value)
        return merged
    return _strip(override)


def interpolate(value: Any) -> Any:
    if isinstance(value, str):
        return INTERPOLATION.sub(lambda m: "$" if m.group(0) == "$$" else (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    return value


def variables(value: Any) -> set[str]:
    """Every ${VAR} the file interpolates."""
    if isinstance(value, str):
        return {m.group(1) for m in INTERPOLATION.finditer(value) if m.group(1)}
    if isinstance(value, dict):
        return set().union(*(variables(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(variables(v) for v in value)) if value else set()
    if isinstance(value, Override):
        return variables(value.value)
    return set()


def config(*names: str, profiles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The effective configuration of these files: merged, interpolated, services outside the profiles dropped."""
    merged: dict[str, Any] = {}
    for name in names:
        merged = merge(merged, load(name))
    merged = interpolate(_strip(merged))
    merged["services"] = {name: service for name, service in merged["services"].items()
                          if not service.get("profiles") or set(service["profiles"]) & set(profiles)}
    return merged


def command(service: dict[str, Any]) -> list[str]:
    """The argv a service runs; `sh -c "...; exec prog args"` is reduced to the exec'd program."""
    argv = service["command"]
    argv = shlex.split(argv) if isinstance(argv, str) else list(argv)
    if argv[:2] == ["sh", "-c"]:
        script = argv[2]
        assert "exec " in script, f"a shell command must exec the program: {script}"
        argv = shlex.split(script.rsplit("exec ", 1)[1])
    return argv


def option(argv: list[str], name: str) -> str | None:
    """The value of `--name value` or `--name=value` in argv."""
    for index, arg in enumerate(argv):
        if arg == name:
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
