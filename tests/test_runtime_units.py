"""Unit tests of the bot runtime's plain functions (no worker, no WeChat)."""

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.itchat.login_mode import LoginRefused, file_and_sync_urls, make_process_login_info, parse_login_xml
from drivers.itchat.sender import client_msg_id, file_appmsg
from wechat.bot.lease import Lease
from wechat.control import needs_relaunch
from wechat.sending.pacing import Pacer


def test_parse_login_xml():
    xml = "<error><ret>0</ret><message></message><skey>@crypt_1</skey><wxsid>sid</wxsid><wxuin>42</wxuin>" \
          "<pass_ticket>pt%2B</pass_ticket><isgrayscale>1</isgrayscale></error>"
    values = parse_login_xml(xml)
    assert values["ret"] == "0" and values["skey"] == "@crypt_1" and values["pass_ticket"] == "pt%2B"
    assert values["message"] == ""


def test_real_hosts_map_to_file_and_push_servers():
    assert file_and_sync_urls("https://wx2.qq.com/cgi-bin/mmwebwx-bin") == (
        "https://file.wx2.qq.com/cgi-bin/mmwebwx-bin", "https://webpush.wx2.qq.com/cgi-bin/mmwebwx-bin")
    assert file_and_sync_urls("http://127.0.0.1:8200/cgi-bin/mmwebwx-bin") == (
        "http://127.0.0.1:8200/cgi-bin/mmwebwx-bin",) * 2


class FakeResponse:
    def __init__(self, text, status_code=200, headers=None):
        self.text, self.status_code, self.headers = text, status_code, headers or {}


class FakeSession:
    """Records the one request process_login_info makes (a stand-in for requests.Session, not for our code)."""

    def __init__(self, text, cookies=None):
        self.text, self.requests = text, []
        self.cookies = type("Jar", (), {"get_dict": lambda _self: cookies or {}})()

    def get(self, url, headers=None, allow_redirects=True):
        self.requests.append((url, headers))
        return FakeResponse(self.text)


class FakeCore:
    def __init__(self, session):
        self.s, self.loginInfo = session, {}


LOGIN_PAGE = 'window.code=200;\nwindow.redirect_uri="http://127.0.0.1:8200/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=t";'


def test_refused_login_raises_with_an_explanation():
    core = FakeCore(FakeSession("<error><ret>1203</ret><message>refused</message></error>"))
    with pytest.raises(LoginRefused) as caught:
        make_process_login_info("web", "")(core, LOGIN_PAGE)
    assert caught.value.ret == "1203" and "uos" in caught.value.message


def test_uos_mode_sends_desktop_headers_and_reads_cookies():
    session = FakeSession("<error><ret>0</ret><skey>k</skey><pass_ticket>p</pass_ticket></error>",
                          cookies={"wxsid": "sid", "wxuin": "7"})
    core = FakeCore(session)
    make_process_login_info("uos", "blob")(core, LOGIN_PAGE)
    url, headers = session.requests[0]
    assert url.endswith("&fun=new&version=v2&mod=desktop")
    assert headers["client-version"] == "2.0.0" and headers["extspam"] == "blob"
    assert core.loginInfo["BaseRequest"] == {"Skey": "k", "Sid": "sid", "Uin": "7", "DeviceID": "p"}
    assert core.loginInfo["url"] == "http://127.0.0.1:8200/cgi-bin/mmwebwx-bin"


def test_unknown_login_mode_is_refused():
    with pytest.raises(ValueError):
        make_process_login_info("desktop", "")


@given(st.integers(0, 10**6), st.integers(0, 10**4), st.integers(0, 20))
def test_client_msg_ids_are_stable_17_digit_numbers(job, item, part):
    first = client_msg_id(job, item, part)
    assert first == client_msg_id(job, item, part)
    assert 10**16 <= first < 10**17


def test_client_msg_ids_differ_per_part():
    ids = {client_msg_id(1, item, part) for item in range(200) for part in range(3)}
    assert len(ids) == 600


def test_file_appmsg_escapes_hostile_names():
    xml = file_appmsg('<script>"a"&.png', 10, "@media<>")
    assert "<script>" not in xml and "&lt;script&gt;" in xml and "@media&lt;&gt;" in xml
    assert "<fileext>png</fileext>" in xml


def test_pacer_waits_within_bounds_and_backs_off():
    slept = []
    pacer = Pacer(1.0, 3.0, sleep=slept.append, rng=random.Random(7))
    for _ in range(100):
        pacer.pause()
    assert all(1.0 <= s <= 3.0 for s in slept) and max(slept) - min(slept) > 1  # jitter, not a fixed beat
    slept.clear()
    for attempt in range(5):
        pacer.backoff(attempt, base=5, cap=40)
    assert slept[0] < slept[1] < slept[2] and all(s <= 48 for s in slept)


def test_pacer_rejects_bad_bounds():
    with pytest.raises(ValueError):
        Pacer(3, 1)


@pytest.mark.parametrize("paused, holder, age, expected", [
    (None, None, None, True),       # never started
    (None, None, 30.0, True),       # heartbeat stale, nobody holds the lease
    (None, None, 1.0, False),       # fresh heartbeat
    (None, "task-1", 30.0, False),  # lease still held: wait for it to expire
    ("refused", None, 30.0, False),  # the operator must act first
])
def test_watchdog_rule(paused, holder, age, expected):
    assert needs_relaunch(paused, holder, age, stale_after=6) is expected


def test_lease_is_exclusive_renewable_and_released_only_by_its_holder(redis_server):
    client = redis_server.client()
    client.flushall()
    lease = Lease(client, "test:lease", ttl_seconds=0.5)
    assert lease.acquire("a") and not lease.acquire("b")
    assert lease.renew("a") and not lease.renew("b")
    assert not lease.release("b") and lease.holder() == "a"
    time.sleep(0.7)
    assert lease.holder() is None and not lease.renew("a")  # expired: the old holder lost it
    assert lease.acquire("b") and not lease.release("a") and lease.release("b")
