"""The Dockerfile, read statically (no Docker engine here): multi-stage, no build tools in the final image,
a non-root user, and every COPY source present and not excluded by .dockerignore."""

from __future__ import annotations

import fnmatch
import re
import shlex

import pytest

from tests.deploy.compose_file import ROOT

COMPILERS = ("build-essential", "gcc", "g++", "clang", "make", "cc", "libc6-dev", "python3-dev")
NEEDED = ("app.py", "config.py", "extensions.py", "commands.py", "requirements.txt", "wechat", "libs", "models",
          "views", "templates", "static", "migrations", "sandbox", "plugins")


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(row.split(None, 1)[0].upper(), row.split(None, 1)[1]) for row in rows]


def stages() -> list[dict]:
    found: list[dict] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            image, _, name = rest.partition(" AS ")
            found.append({"image": image.strip(), "name": name.strip() or None, "steps": []})
        else:
            found[-1]["steps"].append((keyword, rest))
    return found


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; `!pattern` re-includes."""
    verdict = False
    for pattern in dockerignore():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        parts = path.split("/")
        if any(fnmatch.fnmatch("/".join(parts[:n]), pattern) or fnmatch.fnmatch(parts[n - 1], pattern)
               for n in range(1, len(parts) + 1)):
            verdict = not negate
    return verdict


def test_multi_stage_with_the_same_base():
    build, final = stages()[0], stages()[-1]
    assert len(stages()) >= 2 and build["name"]
    assert build["image"] == final["image"]  # the venv copied across keeps a valid interpreter path
    assert final["image"].endswith("-slim") or "-slim-" in final["image"]  # slim images ship no compiler


def test_final_stage_has_no_build_tools_and_runs_as_non_root():
    final = stages()[-1]
    for keyword, rest in final["steps"]:
        if keyword == "RUN":
            words = set(shlex.split(rest.replace("&&", " ")))
            assert not words & set(COMPILERS), f"final stage installs build tools: {rest}"
            assert "apt-get" not in words or "install" not in words, f"final stage installs packages: {rest}"
    users = [rest for keyword, rest in final["steps"] if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(keyword == "RUN" and "useradd" in rest and users[-1] in rest for keyword, rest in final["steps"])
    # The build tools live in the build stage only, and only the venv crosses over.
    copies = [rest for keyword, rest in final["steps"] if keyword == "COPY" and "--from=" in rest]
    assert copies == [f"--from={stages()[0]['name']} /opt/venv /opt/venv"]


def test_copy_sources_exist_and_are_not_ignored():
    names = {stage["name"] for stage in stages()}
    for stage in stages():
        for keyword, rest in stage["steps"]:
            if keyword not in ("COPY", "ADD"):
                continue
            args = [a for a in shlex.split(rest) if not a.startswith("--")]
            source_from = re.search(r"--from=(\S+)", rest)
            if source_from:
                assert source_from.group(1) in names
                continue
            for source in args[:-1]:
                assert (ROOT / source).exists(), source
                assert source == "." or not ignored(source), f"{source} is excluded by .dockerignore"


@pytest.mark.parametrize("path", NEEDED)
def test_the_code_reaches_the_image(path):
    assert (ROOT / path).exists() and not ignored(path)


@pytest.mark.parametrize("path", [".env", ".env.production", ".git", ".venv", "instance", "instance/secret_key",
                                  "tests", "wechat/__pycache__"])
def test_secrets_and_local_state_stay_out(path):
    assert ignored(path)


def test_requirements_install_in_the_build_stage():
    build = stages()[0]
    runs = " ".join(rest for keyword, rest in build["steps"] if keyword == "RUN")
    assert "pip install" in runs and "-r /tmp/requirements.txt" in runs
    assert ("COPY", "requirements.txt /tmp/requirements.txt") in build["steps"]
