"""A seam driver's avatar URLs are hostile: fetched only from the gateway's own origin, through libs/netguard, as an
image of at most AVATAR_MAX_BYTES, never following a redirect. A local HTTP server stands in for the gateway."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from extensions import db
from libs.netguard import Policy
from models.wechat import Contact, Group
from wechat.accounts import ensure_account
from wechat.sync import avatars
from wechat.sync.avatars import AVATAR_MAX_BYTES, avatar_root, fetch_url_avatars, same_origin

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Gateway(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        kind, body = {"/gw/avatar/ok.png": ("image/png", PNG), "/gw/avatar/html.png": ("text/html", b"<html>"),
                      "/gw/avatar/big.png": ("image/png", b"x" * (AVATAR_MAX_BYTES + 1))}.get(
            self.path, ("", b""))
        if self.path == "/gw/avatar/redirect.png":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
            return
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/gw"
    server.shutdown()
    server.server_close()


def test_same_origin():
    origin = "http://127.0.0.1:8059/gw"
    assert same_origin("http://127.0.0.1:8059/gw/avatar/a.png", origin)
    for url in ("https://127.0.0.1:8059/gw/a.png", "http://127.0.0.1:8060/gw/a.png", "http://127.0.0.1:8059/gwx/a",
                "http://localhost:8059/gw/a.png", "http://user:pw@127.0.0.1:8059/gw/a.png", "http://127.0.0.1:bad/gw",
                "https://wx.qlogo.cn/mmhead/ver_1/abc/132", "file:///etc/passwd", ""):
        assert not same_origin(url, origin), url


def test_only_the_gateways_own_images_are_kept(app, gateway):
    account = ensure_account("wxid_me", "Bot")
    names = ("ok", "html", "big", "redirect", "cdn", "missing")
    db.session.add_all([Contact(account_id=account.id, puid=f"wxid_{n}", nick_name=n, is_friend=True) for n in names])
    db.session.add(Group(account_id=account.id, puid="1@chatroom", nick_name="g"))
    db.session.commit()
    urls = {f"wxid_{n}": f"{gateway}/avatar/{n}.png" for n in names}
    urls["wxid_cdn"] = "https://wx.qlogo.cn/mmhead/ver_1/abc/132"  # what a real gateway gives: never fetched here
    urls["1@chatroom"] = f"{gateway}/avatar/ok.png"
    assert fetch_url_avatars(lambda: urls, account.id, gateway, Policy()) == 2  # loopback allowed: it is the gateway
    kept = {c.puid: c.avatar_path for c in db.session.execute(db.select(Contact)).scalars()}
    assert [p for p, path in kept.items() if path] == ["wxid_ok"]
    assert (avatar_root() / kept["wxid_ok"]).read_bytes() == PNG
    assert db.session.execute(db.select(Group)).scalar_one().avatar_path
    assert "/gw/avatar/cdn.png" not in Gateway.seen and not list(Path(avatar_root()).rglob("*.part"))
    # Nothing is due again today: no second round of requests.
    seen = len(Gateway.seen)
    listed = []
    assert fetch_url_avatars(lambda: listed.append(1) or urls, account.id, gateway, Policy()) == 0
    assert len(Gateway.seen) == seen and listed == []  # not even a listing of the contacts


def test_downloads_are_bounded_per_process_whatever_the_accounts(monkeypatch):
    """50 accounts' avatar tasks after a worker's logins: at most PROCESS_DOWNLOADS pictures in flight at once."""
    monkeypatch.setattr(avatars, "PROCESS_DOWNLOADS", 3)
    avatars._process_slots.cache_clear()
    lock, running, most = threading.Lock(), [0], [0]

    def download(target) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return True

    try:
        with ThreadPoolExecutor(12) as pool:  # several accounts' pools at once
            assert all(pool.map(avatars.bounded(download), range(36)))
    finally:
        avatars._process_slots.cache_clear()
    assert 2 <= most[0] <= 3, most  # concurrent, and never past the bound


def test_no_database_connection_is_held_while_the_pictures_download(app, gateway, monkeypatch):
    """After a worker's logins every account downloads its avatars at once: a batch that kept its transaction open
    held a pooled connection for the whole download, and the listeners waited for one to store their messages."""
    account = ensure_account("wxid_me", "Bot")
    db.session.add_all([Contact(account_id=account.id, puid=f"wxid_{n}", nick_name=str(n), is_friend=True)
                        for n in range(3)])
    db.session.commit()
    pool, held = db.engine.pool, []

    def listing() -> dict[str, str]:  # asked after the due rows were read, before the downloads start
        held.append(pool.checkedout())
        return {f"wxid_{n}": f"{gateway}/avatar/ok.png" for n in range(3)}

    real = avatars.download_avatar_url

    def download(*args, **kwargs) -> bool:
        held.append(pool.checkedout())
        return real(*args, **kwargs)

    monkeypatch.setattr(avatars, "download_avatar_url", download)
    assert fetch_url_avatars(listing, account.id, gateway, Policy()) == 3
    assert held == [0, 0, 0, 0], held
    assert all(c.avatar_path for c in db.session.execute(db.select(Contact)).scalars())
