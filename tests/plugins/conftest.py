"""Plugin tests: the live stack of tests/runtime, the community plugin folder, and an installed entry-point plugin."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.runtime.conftest import driver, stack  # noqa: F401  (fixtures; parametrize `driver` for both)

HERE = Path(__file__).parent
COMMUNITY = HERE / "community"


@pytest.fixture(scope="session")
def entry_point_site(tmp_path_factory) -> Path:
    """The tiny package in entrypoint_pkg/, installed into a folder of its own (put it on sys.path/PYTHONPATH).

    Built from a copy, so the build leaves nothing behind in the source tree.
    """
    work = tmp_path_factory.mktemp("entry_point")
    source = work / "src"
    shutil.copytree(HERE / "entrypoint_pkg", source)
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True, timeout=180)
    return target


@pytest.fixture
def account(app):
    """The WeChat account the plugin settings and auto-reply rules belong to."""
    from extensions import db
    from models.wechat import Account

    row = Account(puid="bot-puid", nick_name="小助手")
    db.session.add(row)
    db.session.commit()
    return row
