"""Media bytes: uploads from the bot (chunked like web WeChat, 512 KB a chunk) and files carried by
injected messages, plus generated avatars and QR images."""

from __future__ import annotations

import hashlib
import io
import random
import secrets
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import pyqrcode

BLOCK = 1024 * 1024
LARGE = 8 * BLOCK  # generated media above this size is one block repeated (served without holding it in memory)
MAX_GENERATED = 4 * 1024 * BLOCK


@dataclass
class Media:
    """The bytes are `data` repeated `repeat` times, then `tail`: a test can send a file of gigabytes."""

    data: bytes
    name: str = ""
    mime: str = "application/octet-stream"
    repeat: int = 1
    tail: bytes = b""

    @property
    def size(self) -> int:
        return len(self.data) * self.repeat + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        for _ in range(self.repeat):
            yield self.data
        if self.tail:
            yield self.tail

    def whole(self) -> bytes:
        """All bytes at once (only for media small enough to be held: uploads, ranges of small videos)."""
        return b"".join(self.chunks())

    @cached_property
    def md5(self) -> str:
        digest = hashlib.md5()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


@dataclass
class _PartialUpload:
    total_chunks: int
    name: str
    chunks: dict[int, bytes] = field(default_factory=dict)


class UploadError(ValueError):
    pass


class MediaStore:
    def __init__(self) -> None:
        self.by_media_id: dict[str, Media] = {}
        self.by_msg_id: dict[int, Media] = {}
        self._partial: dict[tuple[str, str], _PartialUpload] = {}
        self.upload_signatures: set[str] = set()  # handed out by webwxcheckupload (uploads above 25 MB)

    def add_chunk(self, owner: str, client_media_id: str, name: str, chunk: int, chunks: int,
                  data: bytes, total_len: int, md5: str) -> str:
        """Store one chunk; returns the MediaId once the last chunk arrived, else ''."""
        if not 0 <= chunk < chunks:
            raise UploadError(f"chunk {chunk} of {chunks}")
        key = (owner, client_media_id)
        partial = self._partial.setdefault(key, _PartialUpload(chunks, name))
        partial.chunks[chunk] = data
        if len(partial.chunks) < partial.total_chunks:
            return ""
        del self._partial[key]
        whole = b"".join(partial.chunks[i] for i in range(partial.total_chunks))
        if len(whole) != total_len:
            raise UploadError(f"got {len(whole)} bytes, TotalLen says {total_len}")
        if md5 and hashlib.md5(whole).hexdigest() != md5.lower():
            raise UploadError("FileMd5 does not match the uploaded bytes")
        return self.put(Media(whole, name, guess_mime(name)))

    def put(self, media: Media) -> str:
        media_id = "@crypt_" + secrets.token_hex(24)
        self.by_media_id[media_id] = media
        return media_id


def guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
            "mp4": "video/mp4", "mp3": "audio/mpeg"}.get(ext, "application/octet-stream")


def solid_png(rgb: tuple[int, int, int], size: int = 16, noise: bytes = b"") -> bytes:
    """A tiny valid PNG; ``noise`` goes into a text chunk so generated pictures differ in bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes(rgb) * size
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    if noise:
        png += chunk(b"tEXt", b"sandbox\x00" + noise.hex().encode())
    return png + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b"")


def avatar_png(stable_key: str) -> bytes:
    digest = hashlib.md5(stable_key.encode()).digest()
    return solid_png((digest[0], digest[1], digest[2]))


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    pyqrcode.create(text).png(buffer, scale=6)
    return buffer.getvalue()


def generated(kind: str, seed: int, size: int | None = None) -> Media:
    """Deterministic stand-in bytes for an injected media message of ``kind``."""
    rng = random.Random(seed)
    noise = rng.randbytes(16)
    if kind == "picture":
        return Media(solid_png((rng.randrange(256), rng.randrange(256), 90), 32, noise), "picture.png",
                     "image/png")
    if kind == "emoticon":
        # A 1x1 GIF; itchat names the download .gif when it sees 'GIF' in the first bytes.
        gif = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
               b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
        return Media(gif + noise, "emoticon.gif", "image/gif")
    if kind == "voice":
        return Media(b"ID3\x03\x00\x00\x00\x00\x00\x00" + rng.randbytes(size or 2048), "voice.mp3", "audio/mpeg")
    if kind == "video":
        return Media(b"\x00\x00\x00\x18ftypmp42" + rng.randbytes(size or 4096), "video.mp4", "video/mp4")
    if size is not None and size > LARGE:
        return Media(rng.randbytes(BLOCK), "file.bin", repeat=size // BLOCK, tail=rng.randbytes(size % BLOCK))
    return Media(rng.randbytes(1024 if size is None else size), "file.bin")
