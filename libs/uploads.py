"""Files an admin uploads for the bot to send: validated, stored under a server-chosen name, found again by id.

Layout: `<instance>/uploads/<32 hex id>/upload.<ext>` plus `meta.json` beside it (no DB table, no migration).
The original file name is kept only as sanitized display text; nothing on disk is ever named after it.
The kind (image / emoticon / video / file) comes from the content's magic bytes, not from the name: a PNG called
`.txt` is an image, an `.exe` called `.png` is refused. Executables, HTML and SVG are refused whatever the name or
the configured allow-list says, because a file the bot forwards is opened by people who trust the group.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from libs.files import inside

UPLOAD_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
META_NAME = "meta.json"
MAX_NAME_CHARS = 180
MAX_FILES_PER_REQUEST = 20
SNIFF_BYTES = 8192
_CHUNK = 1024 * 1024
# Bidi overrides make "evil\u202egnp.exe" display as "evilexe.png"; ZWJ (U+200D) stays: emoji sequences need it.
_SPOOFING = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_FORBIDDEN_IN_NAMES = str.maketrans({char: "_" for char in '<>:"|?*'})


class UploadError(Exception):
    """A refused upload; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UploadNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StoredUpload:
    id: str
    name: str  # sanitized original name, for display only
    stored_name: str
    size: int
    kind: str
    mime: str
    sha256: str
    created_at: str  # ISO 8601, UTC
    path: Path

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "size": self.size, "kind": self.kind, "mime": self.mime,
                "sha256": self.sha256, "created_at": self.created_at}


# Refused whatever the allow-list says: runnable on a desktop or phone, or rendered as active content.
BLOCKED_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "msi", "bat", "cmd", "ps1", "vbs", "js", "jse", "wsf", "hta", "jar", "apk", "sh",
    "elf", "bin", "app", "dmg", "lnk", "reg", "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "php",
})
TEXT_EXTENSIONS = frozenset({"txt", "csv", "md", "log"})


@dataclass(frozen=True)
class FileType:
    kind: str  # image | emoticon | video | file (what the bot sends it as)
    mime: str
    extensions: tuple[str, ...]  # names this content may carry; stored under the first one the name does not give


_MAGIC: list[tuple[int, bytes, FileType]] = [
    (0, b"\x89PNG\r\n\x1a\n", FileType("image", "image/png", ("png",))),
    (0, b"\xff\xd8\xff", FileType("image", "image/jpeg", ("jpg", "jpeg"))),
    (0, b"GIF87a", FileType("emoticon", "image/gif", ("gif",))),
    (0, b"GIF89a", FileType("emoticon", "image/gif", ("gif",))),
    (0, b"%PDF-", FileType("file", "application/pdf", ("pdf",))),
    # Office 2007+ documents are zip containers; the name tells which one.
    (0, b"PK\x03\x04", FileType("file", "application/zip", ("zip", "docx", "xlsx", "pptx"))),
    (0, b"PK\x05\x06", FileType("file", "application/zip", ("zip", "docx", "xlsx", "pptx"))),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", FileType("file", "application/x-ole-storage", ("doc", "xls", "ppt"))),
    (0, b"7z\xbc\xaf\x27\x1c", FileType("file", "application/x-7z-compressed", ("7z",))),
    (0, b"Rar!\x1a\x07", FileType("file", "application/vnd.rar", ("rar",))),
    (0, b"ID3", FileType("file", "audio/mpeg", ("mp3",))),
]
_WEBP = FileType("image", "image/webp", ("webp",))
# ISO base media files: iPhone photos (HEIF) share the container with MP4 video; the brand tells them apart.
_HEIF = FileType("image", "image/heic", ("heic", "heif", "avif"))
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_MP4 = FileType("video", "video/mp4", ("mp4", "mov", "m4v"))
_TEXT = FileType("file", "text/plain", tuple(sorted(TEXT_EXTENSIONS)))
_EXECUTABLE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
                     b"\xca\xfe\xba\xbe", b"dex\n")
_ACTIVE_MARKUP = re.compile(rb"^<(?:!doctype\s+html|html|head|body|script|iframe|svg)[\s>/]", re.IGNORECASE)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


def sniff(head: bytes) -> FileType | None:
    """The type of a file from its first bytes, or None when no known signature matches."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    if head[4:8] == b"ftyp":
        return _HEIF if head[8:12] in _HEIF_BRANDS else _MP4
    for offset, magic, filetype in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return filetype
    return None


def _without_bom(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom):]
    return head


def sniff_dangerous(head: bytes) -> str | None:
    """What an upload really is when that is something we never accept (an executable, a script, HTML or SVG).
    A byte-order mark in front changes nothing: "\\xff\\xfe" + "MZ..." is still an executable."""
    head = _without_bom(head)
    if head.startswith(b"MZ") or head.startswith(_EXECUTABLE_MAGIC):
        return "an executable"
    start = head.lstrip(b" \t\r\n")
    if start.startswith(b"#!"):
        return "a script"
    lowered = start[:1024].lower()
    if _ACTIVE_MARKUP.match(start) or (start.startswith(b"<?xml") and (b"<svg" in lowered or b"<html" in lowered)):
        return "HTML or SVG"
    return None


def is_text(head: bytes) -> bool:
    """Plain text in any ASCII-compatible encoding (UTF-8, GBK...), or UTF-16 with its byte-order mark whose
    characters decode and hold no control characters (a BOM alone made any bytes "text")."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            body = head[len(bom):]
            body = body[:len(body) - len(body) % 2]  # the sniffed head may end inside a character
            try:
                text = body.decode(codec, errors="strict")
            except UnicodeDecodeError:
                # Cut inside a surrogate pair at the end of the head: judge what came before it.
                try:
                    text = body[:-2].decode(codec, errors="strict")
                except UnicodeDecodeError:
                    return False
            return _CONTROL_CHARS.search(text) is None
    return _CONTROL_BYTES.search(head) is None


def sanitize_name(raw: str | None, max_chars: int = MAX_NAME_CHARS) -> str:
    """Display name: last path component, no control/bidi characters, bounded length; Unicode and emoji kept."""
    name = unicodedata.normalize("NFC", raw or "").translate(_SPOOFING)
    name = "".join(char for char in name if unicodedata.category(char) != "Cc")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # "C:\\Windows\\evil.exe", "../../etc/passwd"
    name = name.translate(_FORBIDDEN_IN_NAMES).strip().strip(".").strip()
    if len(name) > max_chars:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: max_chars - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:max_chars].rstrip()
    return name or "file"


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def parse_extensions(value: str | Iterable[str]) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(item.strip().lower().lstrip(".") for item in items if item.strip())


def classify(name: str, head: bytes, allowed: frozenset[str]) -> tuple[FileType, str]:
    """Decide what a file is from its name and first bytes; return its type and the extension to store it under.

    Raises UploadError(415) for anything not clearly allowed.
    """
    ext = extension_of(name)
    if ext in BLOCKED_EXTENSIONS:
        raise UploadError(f"{name}: .{ext} files are not accepted", 415)
    danger = sniff_dangerous(head)
    if danger:
        raise UploadError(f"{name}: content is {danger}, which is not accepted", 415)
    detected = sniff(head)
    if detected is None and ext in TEXT_EXTENSIONS and is_text(head):
        detected = _TEXT
    if detected is not None:
        permitted = [candidate for candidate in detected.extensions if candidate in allowed]
        if not permitted:
            raise UploadError(f"{name}: {detected.mime} files are not accepted", 415)
        # The content decides; the name's extension is kept only when it agrees (a .docx is a zip container).
        return detected, ext if ext in permitted else permitted[0]
    if ext and ext in allowed:
        raise UploadError(f"{name}: content does not match .{ext}", 415)
    raise UploadError(f"{name}: file type not accepted", 415)


def _store_stream(stream: IO[bytes], target: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(target, "xb") as out:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def save_upload(root: Path, stream: IO[bytes], filename: str | None, allowed: frozenset[str]) -> StoredUpload:
    """Validate and store one file; the upload appears atomically (a directory rename) or not at all."""
    name = sanitize_name(filename)
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise UploadError(f"{name}: the file is empty", 400)
    filetype, ext = classify(name, head, allowed)
    upload_id = secrets.token_hex(16)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".tmp-{upload_id}"
    staging.mkdir()
    try:
        stored_name = f"upload.{ext}"
        size, sha256 = _store_stream(_Prepend(head, stream), staging / stored_name)
        meta = {"id": upload_id, "name": name, "stored_name": stored_name, "size": size, "kind": filetype.kind,
                "mime": filetype.mime, "sha256": sha256, "created_at": datetime.now(UTC).isoformat()}
        (staging / META_NAME).write_text(json.dumps(meta, ensure_ascii=False))
        os.rename(staging, root / upload_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _from_meta(root / upload_id, meta)


def delete_upload(root: Path, upload_id: str) -> None:
    if UPLOAD_ID_PATTERN.match(upload_id):
        shutil.rmtree(root / upload_id, ignore_errors=True)


def _from_meta(folder: Path, meta: dict) -> StoredUpload:
    fields = {key: meta[key] for key in ("id", "name", "stored_name", "size", "kind", "mime", "sha256",
                                         "created_at")}
    return StoredUpload(**fields, path=folder / meta["stored_name"])


def upload_root() -> Path:
    """Where uploads live: `<instance>/uploads`. The worker shares the instance folder, so the bot finds them by id."""
    from flask import current_app

    return Path(current_app.instance_path) / "uploads"


def resolve_upload(root: Path, upload_id: str) -> StoredUpload:
    """The stored file and its metadata (for the API and the bot's send path); UploadNotFound for a bad id.

    The only way from a name in a request or a task message to a file on disk: an id is 32 hex digits, never a path,
    and the file it names must resolve inside `root` (a symlinked folder or file leading out is refused)."""
    if not isinstance(upload_id, str) or not UPLOAD_ID_PATTERN.fullmatch(upload_id):
        raise UploadNotFound(upload_id)
    folder = root / upload_id
    try:
        meta = json.loads((folder / META_NAME).read_text())
        upload = _from_meta(folder, meta)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UploadNotFound(upload_id) from exc
    # meta.json is ours, but a stored name with a separator must still not lead out of the folder.
    if upload.path.parent != folder or not upload.path.is_file():
        raise UploadNotFound(upload_id)
    real = inside(root, f"{upload_id}/{upload.stored_name}")
    if real is None or real.parent.name != upload_id:
        raise UploadNotFound(upload_id)
    return upload


def cleanup_uploads(root: Path, older_than_days: int, now: datetime | None = None,
                    keep: Collection[str] = ()) -> int:
    """Delete uploads (and abandoned staging folders) older than the given age, except the ids in `keep`; return
    how many were removed."""
    if not root.is_dir():
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    removed = 0
    for folder in root.iterdir():
        upload_id = folder.name.removeprefix(".tmp-")
        if not folder.is_dir() or folder.is_symlink() or not UPLOAD_ID_PATTERN.match(upload_id):
            continue  # only ever delete what save_upload made
        if upload_id in keep:
            continue
        if _created_at(folder) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _created_at(folder: Path) -> datetime:
    try:
        return datetime.fromisoformat(json.loads((folder / META_NAME).read_text())["created_at"])
    except (OSError, ValueError, KeyError, TypeError):  # staging folder or damaged metadata: its age on disk
        return datetime.fromtimestamp(folder.stat().st_mtime, UTC)


class _Prepend:
    """A stream that first returns the bytes already read for sniffing (upload streams need not be seekable)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk, self._head = self._head, b""
            return chunk
        return self._rest.read(size)
