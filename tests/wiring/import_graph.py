"""Reading the product's imports from its source (ast), for the import-rule tests of this folder."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SKIP = {".venv", "tests", "migrations", "node_modules", "instance"}


def sources(root: Path, skip: set[str] = SKIP) -> Iterator[tuple[str, Path]]:
    """(relative posix name, path) of every product .py file under ``root``."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in skip or any(part.startswith(".") for part in relative.parts):
            continue
        yield relative.as_posix(), path


def imported(path: Path, with_names: bool = False) -> set[str]:
    """Every module the file imports, at the top or inside a function; with ``with_names``, also ``module.name``
    for each name of a ``from module import name`` (a name may be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if with_names:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found
