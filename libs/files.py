"""Files named by relative paths stored in the database (media, avatars)."""

from __future__ import annotations

from pathlib import Path


def inside(root: Path, relative: str) -> Path | None:
    """`root / relative`, or None when it would lead out of `root`: a stored path is never trusted to stay in."""
    base = root.resolve()
    path = (base / relative).resolve()
    return path if base in path.parents else None
