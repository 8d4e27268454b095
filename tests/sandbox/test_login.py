"""Login through the QR flow with unmodified wxpy; contacts match the world; sessions; uos; logout."""

from __future__ import annotations

import re
import threading
import time
import xml.dom.minidom

import requests

from tests.fixtures.sandbox import PendingLogin, stop_bot

FRIEND_RE = re.compile(r"^@[0-9a-f]{32}$")
GROUP_RE = re.compile(r"^@@[0-9a-f]{64}$")


def test_qr_states_through_the_control_api(sandbox, bots):
    assert sandbox.state()["login"] == "none"
    pending = PendingLogin(sandbox)
    uuid = pending.wait_for_qr()
    state = sandbox.state()
    assert (state["login"], state["uuid"]) == ("waiting", uuid)
    sandbox.wait_for(lambda: "408" in pending.statuses)  # itchat's first poll: nobody has scanned yet

    sandbox.scan(confirm=False)
    assert sandbox.state()["login"] == "scanned"
    sandbox.wait_for(lambda: "201" in pending.statuses)  # itchat's poll saw the scan

    sandbox.scan(confirm=True)
    bot = bots.track(pending.result())
    assert pending.statuses[:2] == ["0", "408"] and pending.statuses[-2:] == ["201", "200"]
    state = sandbox.state()
    assert state["login"] == "confirmed"
    assert state["session"]["variant"] == "web" and state["session"]["initialized"]
    assert bot.self.name == state["account"]["nick_name"]
    assert sandbox.request("POST", "scan", {}).status_code == 409  # nothing pending any more


def test_contacts_match_the_world(sandbox, bots):
    sandbox.reset(friends=30, groups=4, members=25, mps=4, explicit_friends=[
        {"nick_name": "小明😄", "emoji_markup": True}, {"nick_name": "<script>alert(1)</script>x"}])
    world = sandbox.world()
    bot = bots.login()

    friends = bot.except_self(bot.friends())
    assert sorted(f.nick_name for f in friends) == sorted(f["nick_name"] for f in world["friends"])
    assert "小明😄" in {f.nick_name for f in friends}  # sent as <span class="emoji ..."> markup
    assert sorted(m.nick_name for m in bot.mps()) == sorted(m["nick_name"] for m in world["mps"])
    # The contact list holds only groups saved to contacts; webwxinit's recent chats (here: the first three
    # groups) bring others; the rest stays unknown until it speaks (ItChat issues 89, 440).
    listed = {g["name"] for g in world["groups"] if g["saved"]} | {g["name"] for g in world["groups"][:3]}
    assert not world["groups"][3]["saved"]
    assert sorted(g.name for g in bot.groups()) == sorted(listed)

    bot.core.update_chatroom([g.user_name for g in bot.groups()])  # members, as a contact sync does
    for expected in (g for g in world["groups"] if g["name"] in listed):
        group = next(g for g in bot.groups() if g.name == expected["name"])
        assert sorted(m.nick_name for m in group.members) == sorted(expected["members"])
        assert group.owner.nick_name == expected["owner"]
        assert group.is_owner == expected["owned_by_bot"]


def test_usernames_change_between_sessions_but_names_do_not(sandbox, bots):
    first = bots.login()
    before = {c.nick_name: c.user_name for c in first.chats()}
    stop_bot(first)
    second = bots.login()
    after = {c.nick_name: c.user_name for c in second.chats()}
    assert before.keys() == after.keys()
    for name, user_name in after.items():
        assert user_name != before[name]
        assert (GROUP_RE if user_name.startswith("@@") else FRIEND_RE).match(user_name), user_name


def test_remote_logout_is_noticed(sandbox, bots):
    logged_out = threading.Event()
    bot = bots.login(logout_callback=logged_out.set)
    sandbox.control("logout", {})
    assert logged_out.wait(10), "wxpy's logout callback never fired"
    assert not bot.alive


def _raw_login(sandbox) -> tuple[requests.Session, str]:
    """The QR part of the login with plain HTTP (itchat has no uos mode to drive)."""
    http = requests.Session()
    text = http.get(f"{sandbox.base_url}/jslogin", params={"appid": "wx782c26e4c19acffb", "fun": "new"}).text
    uuid = re.search(r'uuid = "(\S+?)";', text).group(1)
    assert http.get(f"{sandbox.base_url}/qrcode/{uuid}").content.startswith(b"\x89PNG")
    sandbox.scan(confirm=True)
    text = http.get(f"{sandbox.base_url}/cgi-bin/mmwebwx-bin/login", params={"uuid": uuid, "tip": 0}).text
    assert "window.code=200" in text
    return http, re.search(r'window.redirect_uri="(\S+)";', text).group(1)


def _xml(text: str) -> dict[str, str]:
    root = xml.dom.minidom.parseString(text).documentElement
    return {n.nodeName: n.childNodes[0].data if n.childNodes else "" for n in root.childNodes}


def test_web_login_refused_but_uos_works(sandbox):
    sandbox.reset(account={"nick_name": "被拒绝的号", "web_login_refused": True})
    http, redirect = _raw_login(sandbox)
    refused = _xml(http.get(redirect, allow_redirects=False).text)
    assert refused["ret"] == "1203" and refused["message"]

    uos = http.get(redirect + "&fun=new&version=v2&mod=desktop", allow_redirects=False, headers={
        "client-version": "2.0.0", "extspam": "Go8FCIkFEokFCggwMDAwMDAwMRAGGvAESySibk50w5Wb3uTl2c2h64jVVrV7",
        "Referer": "https://wx.qq.com/?&lang=zh_CN&target=t"})
    answer = _xml(uos.text)
    assert answer["ret"] == "0" and "wxsid" not in answer  # the uos client reads these from cookies
    cookies = http.cookies.get_dict()
    base_request = {"Uin": cookies["wxuin"], "Sid": cookies["wxsid"], "Skey": answer["skey"], "DeviceID": "e1"}
    init = http.post(redirect[: redirect.rfind("/")] + "/webwxinit", json={"BaseRequest": base_request}).json()
    assert init["BaseResponse"]["Ret"] == 0 and init["User"]["NickName"] == "被拒绝的号"
    assert sandbox.state()["session"]["variant"] == "uos"


def test_control_api_refuses_non_loopback_clients():
    from sandbox.app import create_app

    client = create_app(token="t").test_client()
    client.environ_base["HTTP_X_SANDBOX_TOKEN"] = "t"
    for path in ("/_sandbox/state", "/_sandbox/sent", "/_sandbox/phone"):
        response = client.get(path, environ_base={"REMOTE_ADDR": "10.0.0.5"})
        assert response.status_code == 403, path
    response = client.post("/_sandbox/reset", json={}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.status_code == 403 and "loopback" in response.get_json()["error"]
    assert client.get("/_sandbox/state").status_code == 200  # the test client is 127.0.0.1


def test_control_api_explains_bad_input():
    from sandbox.app import create_app

    client = create_app(token="t").test_client()
    client.environ_base["HTTP_X_SANDBOX_TOKEN"] = "t"
    cases = [("/_sandbox/messages", b"not json"), ("/_sandbox/messages", {"from": "nobody here"}),
             ("/_sandbox/world", {"op": "explode"}), ("/_sandbox/reset", {"friends": -1}),
             ("/_sandbox/faults", {"mode": "melt"}), ("/_sandbox/rate_limit", {"sends": 0})]
    for path, payload in cases:
        raw = isinstance(payload, bytes)
        kwargs = {"data": payload, "content_type": "application/json"} if raw else {"json": payload}
        response = client.post(path, **kwargs)
        assert response.status_code == 400, (path, payload)
        assert response.get_json()["error"]
    assert client.post("/_sandbox/scan", json={}).status_code == 409


def test_phone_page_escapes_hostile_names(sandbox):
    sandbox.reset(explicit_friends=["<script>alert(1)</script>"])
    sandbox.control("messages", {"from": "<script>alert(1)</script>", "content": "<b>hi</b>"})
    page = requests.get(f"{sandbox.base_url}/_sandbox/phone", timeout=10).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_session_ends_by_itself_with_1100_after_its_lifetime(sandbox, bots):
    # Real web sessions end after a day or three (ItChat / wechaty threads on 掉线); the default lifetime is 48 h.
    sandbox.reset(friends=1, groups=0, mps=0)
    bot = bots.login()
    assert sandbox.control("sessions/age", {"seconds": 47 * 3600})["aged"] == 1
    time.sleep(0.5)
    assert bot.alive
    sandbox.control("sessions/age", {"seconds": 2 * 3600})
    sandbox.wait_for(lambda: not bot.alive, timeout=10)
