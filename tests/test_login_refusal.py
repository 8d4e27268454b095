"""Every recorded shape of a refused login reads as LoginRefused with an explanation, never a parse error."""

from __future__ import annotations

import types

import pytest

from drivers.itchat import login_mode
from drivers.itchat.login_mode import LoginRefused, read_login_answer

OK = ("<error><ret>0</ret><message></message><skey>@crypt_1</skey><wxsid>a+b/c</wxsid><wxuin>1</wxuin>"
      "<pass_ticket>x%2By</pass_ticket></error>")


@pytest.mark.parametrize("status, location, text, ret", [
    (200, None, "<error><ret>1203</ret><message>当前登录环境异常</message></error>", "1203"),
    (200, None, "<!DOCTYPE html><html><body>当前登录环境异常</body></html>", "html"),  # before: ExpatError
    (200, None, "", "html"),
    (200, None, "<error><ret>0</ret><skey>", "html"),  # cut short
    (301, None, "", "301"),  # before: ExpatError on the empty body
])
def test_refusal_shapes(status, location, text, ret):
    with pytest.raises(LoginRefused) as caught:
        read_login_answer(status, location, text)
    assert caught.value.ret == ret and len(caught.value.message) > 40


def test_a_good_answer_is_read():
    assert read_login_answer(200, None, OK)["wxsid"] == "a+b/c"


def test_1102_at_the_first_synccheck_is_a_refusal_only_after_a_scan():
    scanned, reloaded = types.SimpleNamespace(), types.SimpleNamespace()
    setattr(scanned, login_mode.SCANNED_ATTR, True)
    for core in (scanned, reloaded):
        login_mode.note_refusal_after_login(core, "1102")
    assert login_mode.refusal_after_login(scanned).ret == "1102"
    assert login_mode.refusal_after_login(reloaded) is None  # an expired hot-reloaded session: a fresh QR


def test_uos_mode_asks_jslogin_for_the_desktop_redirect():
    import itchat
    from itchat.core import Core

    asked = []

    class Http:
        def get(self, url, params=None, headers=None):
            asked.append(params)
            return types.SimpleNamespace(text='window.QRLogin.code = 200; window.QRLogin.uuid = "gZ5s0W3Vkw==";')

    try:
        login_mode.install("uos", "spam")
        core = itchat.new_instance()
        core.s = Http()
        assert core.get_QRuuid() == "gZ5s0W3Vkw==" and "mod=desktop" in asked[0]["redirect_uri"]
    finally:
        login_mode.install("web")
    assert Core.get_QRuuid is not login_mode.get_qr_uuid_desktop
