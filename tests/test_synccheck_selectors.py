"""synccheck selectors other than 2 (3, 4, 6, 7) and answers that come at once with nothing to fetch.

Through itchat's own receive loop (start_receiving's maintain_loop) with our sync_check installed: a server that
answers selector 7 at once on every poll must not make the loop spin (itchat has no pause of its own).
"""

from __future__ import annotations

import re
import time
import types

import itchat.components.login as itchat_login

from drivers.itchat import resilience as wx_resilience
from tests.fixtures.sandbox import sandbox, sandbox_server  # noqa: F401  (fixtures)


class FakeResponse:
    def __init__(self, text: str) -> None:
        self.text = text

    def raise_for_status(self) -> None:
        pass


class FakeCore:
    """Just what itchat's maintain_loop and our sync_check touch; get_msg fetches nothing (selector 7)."""

    def __init__(self, selector: str, rounds: int) -> None:
        self.alive = True
        self.rounds = rounds
        self.polls = 0
        self.fetches = 0
        self.msgList = []
        self.receivingRetryCount = 5
        self.loginInfo = {"skey": "k", "wxsid": "s+/", "wxuin": "1", "deviceid": "e1", "synckey": "1_1",
                          "url": "http://127.0.0.1:9"}
        self.s = types.SimpleNamespace(get=self._get)
        self.selector = selector

    def _get(self, url, **kwargs):
        self.polls += 1
        if self.polls >= self.rounds:
            self.alive = False
        return FakeResponse(f'window.synccheck={{retcode:"0",selector:"{self.selector}"}}')

    def get_msg(self):
        self.fetches += 1
        return [], []

    def logout(self):
        pass


def run_loop(selector: str, rounds: int = 8) -> tuple[FakeCore, list[float]]:
    core = FakeCore(selector, rounds)
    slept: list[float] = []
    wx_resilience.install()
    watch = wx_resilience.watch(core, lambda errors, text: None, lambda errors: None)
    watch.sleep = slept.append  # record the pauses instead of waiting them
    loop = itchat_login.start_receiving(core, exitCallback=lambda: None, getReceivingFnOnly=True)
    loop()
    return core, slept


def test_selector_7_with_nothing_to_fetch_backs_off_instead_of_spinning():
    core, slept = run_loop("7")
    assert core.fetches == core.polls  # every selector 7 was fetched (that is what moves the key on)
    assert slept[:4] == [0.5, 1.0, 2.0, wx_resilience.QUIET_PAUSE_CAP]  # before: no pause at all
    assert sum(slept) >= 10


def test_other_selectors_are_fetched_and_a_long_poll_ends_the_pause():
    for selector in ("3", "4", "6"):
        core, _ = run_loop(selector, rounds=3)
        assert core.fetches >= 2, selector
    watch = wx_resilience.ConnectionWatch(lambda *a: None, lambda *a: None, sleep=lambda s: None)
    watch.fetched(False)
    watch.fetched(False)
    assert watch.quiet_pause() == 1.0
    watch.fetched(True)
    assert watch.quiet_pause() == 0.0


def test_selector_3_with_nothing_to_fetch_backs_off_too():
    core, slept = run_loop("3")
    assert core.fetches == core.polls and slept[:3] == [0.5, 1.0, 2.0]


# -- the sandbox's web face answers 3 and 6 (a real sandbox process, plain HTTP as the web client speaks it) ----------
def _web_session(sandbox):  # noqa: F811 - the fixture
    """Log in through the web route with plain HTTP and webwxinit; (http, base url, BaseRequest, SyncKey string)."""
    from urllib.parse import quote

    from tests.sandbox.test_login import _raw_login, _xml

    http, redirect = _raw_login(sandbox)
    login = _xml(http.get(redirect, allow_redirects=False).text)
    base = redirect[: redirect.rfind("/")]
    request = {"Uin": login["wxuin"], "Sid": login["wxsid"], "Skey": login["skey"], "DeviceID": "e1"}
    init = http.post(f"{base}/webwxinit", json={"BaseRequest": request}).json()
    key = "|".join(f"{k['Key']}_{k['Val']}" for k in init["SyncKey"]["List"])
    query = {"sid": quote(login["wxsid"], safe=""), "skey": login["skey"], "uin": login["wxuin"]}
    return http, base, request, key, query, init["User"]["UserName"]


def _synccheck(http, base, query, key) -> tuple[str, float]:
    started = time.monotonic()
    text = http.get(f"{base}/synccheck", params={"sid": query["sid"], "skey": query["skey"], "uin": query["uin"],
                                                "deviceid": "e1", "synckey": key}).text
    found = re.search(r'retcode:"(\d+)",selector:"(\d+)"', text)
    assert found and found.group(1) == "0", text
    return found.group(2), time.monotonic() - started


def test_the_web_face_answers_3_after_a_send_and_6_for_a_red_packet(sandbox):  # noqa: F811
    """ItChat issue 451 (selector 3 at once after the client sent, until a webwxsync), WeixinBot issue 22 (6 with
    red-packet data): the sandbox answers both; the itchat path fetches on them and backs off when they bring
    nothing (the tests above)."""
    sandbox.reset(friends=2, groups=0, mps=0, settings={"selector_7": "never", "sync_timeout": 1})
    http, base, request, key, query, me = _web_session(sandbox)
    http.post(f"{base}/webwxstatusnotify", json={"BaseRequest": request, "Code": 3, "FromUserName": me,
                                                 "ToUserName": me, "ClientMsgId": 1})
    contacts = http.get(f"{base}/webwxgetcontact", params={"skey": query["skey"]}).json()["MemberList"]
    friend = next(c for c in contacts if c["UserName"].startswith("@") and not c["UserName"].startswith("@@")
                  and c["UserName"] != "filehelper")
    synced = http.post(f"{base}/webwxsync", params={"sid": login_sid(query)},
                       json={"BaseRequest": request, "SyncKey": sync_key_of(key), "rr": 1}).json()
    key = "|".join(f"{k['Key']}_{k['Val']}" for k in synced["SyncKey"]["List"])
    assert _synccheck(http, base, query, key)[0] == "0"  # idle: the long poll runs out

    sent = http.post(f"{base}/webwxsendmsg", json={"BaseRequest": request, "Msg": {
        "Type": 1, "Content": "hi", "FromUserName": me, "ToUserName": friend["UserName"], "LocalID": "1",
        "ClientMsgId": "1"}}).json()
    assert sent["BaseResponse"]["Ret"] == 0
    selector, took = _synccheck(http, base, query, key)
    assert selector == "3" and took < 0.9  # at once, not after the long poll
    assert _synccheck(http, base, query, key)[0] == "0"  # once: nothing new was logged

    sandbox.control("messages", {"from": friend["NickName"], "type": "red_packet"})
    assert _synccheck(http, base, query, key)[0] == "6"
    fetched = http.post(f"{base}/webwxsync", params={"sid": login_sid(query)},
                        json={"BaseRequest": request, "SyncKey": sync_key_of(key), "rr": 1}).json()
    assert [(m["MsgType"], m["AppMsgType"]) for m in fetched["AddMsgList"]] == [(49, 2001)]


def login_sid(query: dict) -> str:
    from urllib.parse import unquote

    return unquote(query["sid"])


def sync_key_of(key: str) -> dict:
    pairs = [part.split("_") for part in key.split("|")]
    return {"Count": len(pairs), "List": [{"Key": int(k), "Val": int(v)} for k, v in pairs]}
