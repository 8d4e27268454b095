"""Received media, file sending and head images through the padpro driver and the sandbox's gateway face.

The bytes the driver fetches are the bytes injected into the world (the same store the web face serves); sizes
above the cap stop before or while downloading, never writing past it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest

from drivers.types import MediaTooLarge, MessageEvent, MessageKind, Rejected, Unsupported
from tests.drivers.test_padpro_sandbox import wait_for


def _received(sandbox, padpro, spec: dict) -> MessageEvent:
    sandbox.control("messages", spec)
    event, _ = wait_for(padpro, MessageEvent)
    return event


@pytest.mark.parametrize(("kind", "expected"), [("picture", MessageKind.IMAGE), ("voice", MessageKind.VOICE),
                                                ("video", MessageKind.VIDEO), ("file", MessageKind.FILE)])
def test_received_media_downloads_with_the_injected_bytes(sandbox, padpro, kind, expected):
    world = sandbox.world()
    data = os.urandom(150_000 if kind in ("video", "file") else 9_000)  # video/file: several 61440-byte sections
    spec = {"from": world["groups"][0]["members"][2], "group": world["groups"][0]["name"], "type": kind,
            "data_b64": base64.b64encode(data).decode(), "file_name": "报告 <1>.pdf"}
    event = _received(sandbox, padpro, spec)
    assert event.kind is expected and event.media_ref
    sink = io.BytesIO()
    assert padpro.download_media(event, sink, 10 * 1024 * 1024) == len(data)
    assert hashlib.md5(sink.getvalue()).hexdigest() == hashlib.md5(data).hexdigest()
    # The cap holds whether the size was declared (all four declare it) or not.
    with pytest.raises(MediaTooLarge) as too_large:
        padpro.download_media(event, io.BytesIO(), len(data) - 1)
    assert too_large.value.size == len(data)


def test_a_file_of_gigabytes_is_refused_before_any_byte(sandbox, padpro):
    friend = sandbox.world()["friends"][0]["nick_name"]
    event = _received(sandbox, padpro, {"from": friend, "type": "file", "size": 3 * 1024 ** 3})
    assert event.file_size == 3 * 1024 ** 3
    sink = io.BytesIO()
    with pytest.raises(MediaTooLarge):
        padpro.download_media(event, sink, 50 * 1024 * 1024)
    assert sink.getvalue() == b""


def test_forged_refs_are_refused(sandbox, padpro):
    friend = sandbox.world()["friends"][0]["nick_name"]
    event = _received(sandbox, padpro, {"from": friend, "type": "file", "size": 100})
    forged = MessageEvent(**{**{f: getattr(event, f) for f in event.__slots__},
                             "media_ref": event.media_ref.replace('"aeskey":"', '"aeskey":"0')})
    with pytest.raises(Rejected):
        padpro.download_media(forged, io.BytesIO(), 1024)
    text = _received(sandbox, padpro, {"from": friend, "content": "hi"})
    with pytest.raises(Unsupported):
        padpro.download_media(text, io.BytesIO(), 1024)


def test_send_file_uploads_then_sends_an_appmsg(sandbox, padpro):
    friend = padpro.friends()[0]
    data = os.urandom(70_000)
    result = padpro.send_file(friend.id, data, 'q3 "plan" <final>.xlsx')
    assert result.msg_id
    sent = sandbox.sent()[-1]
    assert sent["kind"] == "file" and sent["to"] == friend.nick_name
    assert sent["file_name"] == 'q3 "plan" <final>.xlsx' and sent["size"] == len(data)
    assert sent["md5"] == hashlib.md5(data).hexdigest()


def test_contacts_carry_head_image_urls_on_the_gateways_origin(sandbox, padpro):
    friends, groups = padpro.friends(), padpro.groups()
    assert all(c.avatar_url.startswith(sandbox.base_url + "/avatar/") for c in [*friends, *groups])
    answer = padpro.client.http.get(friends[0].avatar_url, timeout=5)  # no key needed (nor sent)
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
