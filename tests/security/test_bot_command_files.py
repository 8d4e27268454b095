"""Bot commands name files by upload id only: a task message from the broker cannot make the bot send a path."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from libs.uploads import UploadNotFound, resolve_upload, save_upload, upload_root
from wechat.bot.command_runner import CommandError, run_command, uploads_to_send

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.fixture
def stored(app):
    return save_upload(upload_root(), io.BytesIO(PNG), "a.png", frozenset({"png"}))


def test_an_upload_id_resolves_under_the_uploads_folder(app, stored):
    [upload] = uploads_to_send([stored.id])
    assert upload.path == Path(app.instance_path) / "uploads" / stored.id / "upload.png"
    assert uploads_to_send(None) == []


@pytest.mark.parametrize("files", [
    [{"path": "/etc/passwd", "kind": "file", "name": "passwd"}],  # the old message shape
    ["/etc/passwd"], ["../../etc/passwd"], ["0" * 32], [f"{'a' * 32}/../../x"], "0" * 32, [1],
])
def test_paths_and_unknown_ids_are_refused(app, stored, files):
    with pytest.raises(CommandError) as caught:
        uploads_to_send(files)
    assert caught.value.code == "invalid"


def test_the_command_refuses_before_touching_the_bot(app):
    class NoBot:
        def __getattr__(self, name):
            raise AssertionError(f"the bot was used ({name}) for a refused message")

    result = run_command(NoBot(), "send_message", {"to": "x", "files": [{"path": "/etc/passwd", "kind": "file",
                                                                          "name": "passwd"}]})
    assert result["ok"] is False and result["error"] == "invalid"


def test_an_id_whose_file_leads_out_of_the_folder_is_refused(app, stored, tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(PNG)
    folder = upload_root() / stored.id
    (folder / "upload.png").unlink()
    os.symlink(outside, folder / "upload.png")
    with pytest.raises(UploadNotFound):
        resolve_upload(upload_root(), stored.id)
    # A forged meta.json naming a file elsewhere is refused too.
    (folder / "upload.png").unlink()
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "stored_name": "../../secret.png"}))
    with pytest.raises(UploadNotFound):
        resolve_upload(upload_root(), stored.id)


def test_a_symlinked_upload_folder_is_refused(app, stored, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (upload_root() / stored.id).rename(elsewhere)
    os.symlink(elsewhere, upload_root() / stored.id)
    with pytest.raises(UploadNotFound):
        resolve_upload(upload_root(), stored.id)
