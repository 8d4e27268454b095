"""Private files in the instance folder: generated secrets and owner-only directories.

Stdlib only: config.py, the embedded Redis launcher and the app all use it before anything else is set up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it 0700, also when an older version made it world-readable.

    A folder owned by another user (an operator's deliberate shared setup) is left as it is: only its owner may
    change its mode anyway.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """The secret kept in `path`, generated (hex, mode 0600) the first time.

    Two processes starting at once must agree on one secret, and neither may read a half-written file: the
    secret is written to a private temporary file first, then published with link(), which fails if the name
    exists (like O_EXCL), so the first writer wins and the loser reads the winner's complete file.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(nbytes))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it to generate a new secret")
    return value
