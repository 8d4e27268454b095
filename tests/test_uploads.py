"""POST /api/uploads and GET /api/uploads/<id>: limits, content sniffing, safe names; the plain functions behind."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extensions import db
from libs.uploads import UploadNotFound, cleanup_uploads, resolve_upload, sanitize_name
from models.audit import AuditLog
from tests.conftest import csrf_token_from

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.fixture
def auth(api_token) -> dict:
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def root(app) -> Path:
    return Path(app.instance_path) / "uploads"


def upload(client, *files: tuple[bytes, str], headers: dict | None = None, field: str = "file"):
    data = {field: [(io.BytesIO(content), name) for content, name in files]}
    # Each request in an app context of its own, as in production: the `app` fixture keeps one pushed, and a
    # request reuses it, so `g` (Flask-Login's cached user, auth_via_token) would leak from request to request.
    with client.application.app_context():
        return client.post("/api/uploads", data=data, headers=headers or {}, content_type="multipart/form-data")


def get(client, path: str, headers: dict | None = None):
    with client.application.app_context():
        return client.get(path, headers=headers or {})


def test_an_image_and_a_file_are_stored_with_safe_names(client, auth, root):
    response = upload(client, (PNG, "photo.png"), (b"hello\n", "notes.txt"), headers=auth)
    assert response.status_code == 201, response.get_json()
    image, text = response.get_json()["uploads"]
    assert set(image) == {"id", "name", "size", "kind", "sha256"}
    assert (image["name"], image["kind"], image["size"]) == ("photo.png", "image", len(PNG))
    assert (text["name"], text["kind"]) == ("notes.txt", "file")
    stored = resolve_upload(root, image["id"])
    assert stored.path == root / image["id"] / "upload.png"
    assert stored.path.read_bytes() == PNG
    assert stored.sha256 == image["sha256"]
    assert sorted(os.listdir(root)) == sorted([image["id"], text["id"]])  # no staging folders left behind
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "upload.create")).scalar_one()
    assert (entry.actor, entry.detail["ids"]) == ("root", [image["id"], text["id"]])


def test_gif_is_an_emoticon_and_mp4_a_video(client, auth):
    response = upload(client, (GIF, "dance.gif"), (MP4, "clip.mp4"), (PDF, "报告.pdf"), headers=auth)
    assert response.status_code == 201, response.get_json()
    assert [item["kind"] for item in response.get_json()["uploads"]] == ["emoticon", "video", "file"]


def test_metadata_by_id(client, auth):
    created = upload(client, (PNG, "a.png"), headers=auth).get_json()["uploads"][0]
    response = get(client, f"/api/uploads/{created['id']}", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert {key: body[key] for key in created} == created
    assert body["mime"] == "image/png"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None


def test_emoji_file_names_are_kept(client, auth):
    name = "年会照片🎉👨‍👩‍👧.png"
    response = upload(client, (PNG, name), headers=auth)
    assert response.status_code == 201
    assert response.get_json()["uploads"][0]["name"] == name


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Windows\\System32\\photo.png", "photo.png"),
    ("/abs/path/a.png", "a.png"),
    ("re\x00port\x01\x1f.png", "report.png"),
    ("evil\u202egnp.exe", "evilgnp.exe"),
    ("..", "file"),
    ("", "file"),
    (None, "file"),
    ("a<b>:c.png", "a_b__c.png"),
])
def test_sanitize_name(raw, expected):
    assert sanitize_name(raw) == expected


def test_long_names_are_cut_keeping_the_extension():
    name = sanitize_name("😀" * 500 + ".png")
    assert len(name) == 180 and name.endswith("😀.png")


def test_path_traversal_names_never_reach_the_disk(client, auth, root, tmp_path):
    response = upload(client, (PNG, "../../etc/passwd"), (PNG, "..\\..\\x.png"), headers=auth)
    assert response.status_code == 201
    assert [item["name"] for item in response.get_json()["uploads"]] == ["passwd", "x.png"]
    written = {path.relative_to(root).parts[1] for path in root.rglob("*") if path.is_file()}
    assert written == {"upload.png", "meta.json"}


def test_nul_bytes_in_the_name(client, auth):
    response = upload(client, (PNG, "shell.php\x00.png"), headers=auth)
    assert response.status_code == 201
    assert response.get_json()["uploads"][0]["name"] == "shell.php.png"


@pytest.mark.parametrize("content, name", [
    (b"<!DOCTYPE html><script>alert(1)</script>", "page.html"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg"),
    (EXE, "C:\\Windows\\evil.exe"),
    (PNG, "setup.exe"),  # the name alone is refused: people download what the bot sends under its name
    (EXE, "cat.png"),  # an executable in disguise
    (ELF, "notes.txt"),
    (b"<html><body>hi</body></html>", "readme.txt"),  # HTML in disguise
    (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "x.png"),
    (b"#!/bin/sh\nrm -rf /\n", "run.txt"),
    (b"\x00\x01\x02garbage", "photo.png"),  # content does not match the name
    (b"just text", "data.unknown"),
])
def test_refused_types_are_415(client, auth, root, content, name):
    response = upload(client, (content, name), headers=auth)
    assert response.status_code == 415, response.get_json()
    assert response.get_json()["error"]
    assert not root.exists() or not any(root.iterdir())


def test_content_decides_the_kind(client, auth, root):
    response = upload(client, (PNG, "screenshot.txt"), headers=auth)
    assert response.status_code == 201
    item = response.get_json()["uploads"][0]
    assert item["kind"] == "image"
    assert resolve_upload(root, item["id"]).path.name == "upload.png"  # stored under the true extension


def test_one_refused_file_refuses_the_whole_request(client, auth, root):
    response = upload(client, (PNG, "ok.png"), (EXE, "bad.png"), headers=auth)
    assert response.status_code == 415
    assert "bad.png" in response.get_json()["error"]
    assert not any(root.iterdir())


def test_the_allow_list_is_configurable(app, client, auth):
    app.config["UPLOAD_ALLOWED_EXTENSIONS"] = "png, jpg"
    assert upload(client, (GIF, "a.gif"), headers=auth).status_code == 415
    assert upload(client, (PNG, "a.png"), headers=auth).status_code == 201


def test_oversized_upload_is_a_413_json(app, client, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, (PNG + b"\x00" * 2048, "big.png"), headers=auth)
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_missing_field_and_empty_file_are_400(client, auth):
    assert upload(client, (PNG, "a.png"), headers=auth, field="other").status_code == 400
    with client.application.app_context():
        response = client.post("/api/uploads", json={"file": "x"}, headers=auth)
    assert response.status_code == 400
    assert "multipart" in response.get_json()["error"]
    assert upload(client, (b"", "empty.png"), headers=auth).status_code == 400


@pytest.mark.parametrize("upload_id", ["0" * 32, "../../etc/passwd", "..%2F..%2Fetc", "ABCDEF" * 6, "x"])
def test_unknown_or_traversal_ids_are_404(client, auth, upload_id):
    response = get(client, f"/api/uploads/{upload_id}", headers=auth)
    assert response.status_code == 404
    assert response.is_json


def test_resolve_upload_rejects_bad_ids(root):
    for upload_id in ("../secret", "", "0" * 32, None):
        with pytest.raises(UploadNotFound):
            resolve_upload(root, upload_id)


def test_unauthenticated_requests_are_401(client):
    assert upload(client, (PNG, "a.png")).status_code == 401
    assert get(client, f"/api/uploads/{'0' * 32}").status_code == 401
    response = upload(client, (PNG, "a.png"), headers={"Authorization": "Bearer wxa_nope"})
    assert response.status_code == 401


def test_cookie_sessions_need_the_csrf_token(logged_in):
    assert upload(logged_in, (PNG, "a.png")).status_code == 400  # CSRF failure
    token = csrf_token_from(logged_in, "/")  # any page carries the token for the page's scripts
    response = upload(logged_in, (PNG, "a.png"), headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_cleanup_removes_only_old_uploads(client, auth, root):
    old, new = (upload(client, (PNG, name), headers=auth).get_json()["uploads"][0]["id"] for name in "ab")
    meta_path = root / old / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["created_at"] = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    meta_path.write_text(json.dumps(meta))
    stale_staging = root / f".tmp-{'1' * 32}"
    stale_staging.mkdir()
    past = time.time() - 40 * 86400
    os.utime(stale_staging, (past, past))
    (root / "keep-me").mkdir()  # not ours: never touched
    assert cleanup_uploads(root, older_than_days=30) == 2
    assert sorted(path.name for path in root.iterdir()) == sorted([new, "keep-me"])
    assert cleanup_uploads(root / "missing", 30) == 0
