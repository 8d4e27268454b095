"""synccheck selectors other than 2 (3, 4, 6, 7) and answers that come at once with nothing to fetch.

Through itchat's own receive loop (start_receiving's maintain_loop) with our sync_check installed: a server that
answers selector 7 at once on every poll must not make the loop spin (itchat has no pause of its own).
"""

from __future__ import annotations

import types

import itchat.components.login as itchat_login

from drivers.itchat import resilience as wx_resilience


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
