"""Login modes (`web`, `uos`) and the "web login refused" (ret 1203) answer.

itchat 1.2.32 fetches the `redirect_uri` after the scan and reads skey/wxsid/wxuin/pass_ticket from the XML, but
never looks at `<ret>`: a refused login surfaces later as a KeyError. `install(mode)` replaces that one step
(itchat.components.login.process_login_info, looked up by name at call time) with a version that
  * in `uos` mode asks for the desktop variant (`&fun=new&version=v2&mod=desktop`, client-version and extspam
    headers, the wx.qq.com Referer) and reads wxsid/wxuin from cookies, where that variant puts them;
  * raises LoginRefused when the server refuses, in any of the shapes it is recorded to: a non-zero ret (1203: web
    login refused for this account; ItChat issue 1009), an HTML page instead of the XML (wechaty issue 2352), a 301
    without Location (accounts without real-name verification; openwechat issues 90 and 319).
A fourth shape lets the login through and ends the session on the first synccheck with retcode 1102 (CowAgent
issue 2518): drivers/itchat/resilience.py notes it on the core, and `refusal_after_login` reads it back as LoginRefused.
"""

from __future__ import annotations

import random
import re

import defusedxml.minidom

LOGIN_MODES = ("web", "uos")
UOS_SUFFIX = "&fun=new&version=v2&mod=desktop"
UOS_CLIENT_VERSION = "2.0.0"
UOS_REFERER = "https://wx.qq.com/?&lang=zh_CN&target=t"
REFUSED_HELP = {
    "1203": "WeChat refused web login for this account (ret 1203). Use the uos login mode, or another account.",
    "html": "WeChat answered the login with a web page instead of the session data: it refuses web login for this "
            "account. Use the uos login mode, or another account.",
    "301": "WeChat answered the login with a redirect to nowhere (HTTP 301 without Location), which it does for "
           "accounts without real-name verification. Verify the account in the WeChat app, then scan again.",
    "1102": "WeChat ended the session at once after the scan (synccheck 1102): it refuses this login for this "
            "account or login mode. Try the other login mode, or another account.",
}
REFUSAL_ATTR = "_wechat_admin_refusal"
SCANNED_ATTR = "_wechat_admin_scanned"  # this session comes from a scan, not from a hot reload

# Real WeChat maps these hosts to separate file and push servers; anything else (the sandbox) serves all three.
_HOST_MAP = (
    ("wx2.qq.com", ("file.wx2.qq.com", "webpush.wx2.qq.com")),
    ("wx8.qq.com", ("file.wx8.qq.com", "webpush.wx8.qq.com")),
    ("qq.com", ("file.wx.qq.com", "webpush.wx.qq.com")),
    ("web2.wechat.com", ("file.web2.wechat.com", "webpush.web2.wechat.com")),
    ("wechat.com", ("file.web.wechat.com", "webpush.web.wechat.com")),
)


class LoginRefused(Exception):
    """The server refused the login after the scan."""

    def __init__(self, ret: str, message: str) -> None:
        self.ret = ret
        self.message = message
        super().__init__(f"login refused (ret {ret}): {message}")


def parse_login_xml(text: str) -> dict[str, str]:
    """The child elements of the login answer's root (<error><ret>0</ret><skey>…</skey>…</error>)."""
    document = defusedxml.minidom.parseString(text)  # no entity expansion from whoever answers as the server
    values = {}
    for node in document.documentElement.childNodes:
        if node.nodeType == node.ELEMENT_NODE:
            values[node.nodeName] = "".join(child.data for child in node.childNodes if hasattr(child, "data"))
    return values


def read_login_answer(status: int, location: str | None, text: str) -> dict[str, str]:
    """The values of webwxnewloginpage's answer, or LoginRefused for every refusal shape (never a parse error)."""
    if 300 <= status < 400:
        if not location:
            raise LoginRefused("301", REFUSED_HELP["301"])
        raise LoginRefused(str(status), f"WeChat redirected the login elsewhere (HTTP {status})")
    body = (text or "").lstrip()
    if not body.startswith("<error"):
        raise LoginRefused("html", REFUSED_HELP["html"])
    try:
        values = parse_login_xml(body)
    except Exception as exc:  # malformed XML from whoever answers as the server: a refusal, not a stack trace
        raise LoginRefused("html", REFUSED_HELP["html"]) from exc
    ret = values.get("ret", "0")
    if ret != "0":
        raise LoginRefused(ret, REFUSED_HELP.get(ret, values.get("message") or "no reason given"))
    return values


def note_refusal_after_login(core, retcode: str) -> None:
    """Called when a synccheck ends a session that never had a good synccheck: 1102 then means a refused login."""
    if retcode == "1102" and getattr(core, SCANNED_ATTR, False):  # a hot-reloaded session may just have expired
        setattr(core, REFUSAL_ATTR, LoginRefused("1102", REFUSED_HELP["1102"]))


def refusal_after_login(core) -> LoginRefused | None:
    """The refusal a session that ended right after the scan stands for (None for an ordinary logout)."""
    return getattr(core, REFUSAL_ATTR, None)


def file_and_sync_urls(base_url: str) -> tuple[str, str]:
    for host, (file_host, push_host) in _HOST_MAP:
        if host in base_url:
            return f"https://{file_host}/cgi-bin/mmwebwx-bin", f"https://{push_host}/cgi-bin/mmwebwx-bin"
    return base_url, base_url


def make_process_login_info(mode: str, extspam: str):
    """A replacement for itchat's process_login_info for the given mode."""
    if mode not in LOGIN_MODES:
        raise ValueError(f"unknown login mode {mode!r}; expected one of {LOGIN_MODES}")

    def process_login_info(core, login_content: str) -> None:
        from itchat import config

        redirect_uri = re.search(r'window.redirect_uri="(\S+)";', login_content).group(1)
        headers = {"User-Agent": config.USER_AGENT}
        url = redirect_uri
        if mode == "uos":
            url += UOS_SUFFIX
            headers.update({"client-version": UOS_CLIENT_VERSION, "extspam": extspam, "Referer": UOS_REFERER})
        response = core.s.get(url, headers=headers, allow_redirects=False)
        values = read_login_answer(response.status_code, response.headers.get("Location"), response.text)
        if mode == "uos":  # the desktop variant sets these as cookies rather than in the XML
            cookies = core.s.cookies.get_dict()
            values.setdefault("wxsid", cookies.get("wxsid", ""))
            values.setdefault("wxuin", cookies.get("wxuin", ""))
        missing = [key for key in ("skey", "wxsid", "wxuin", "pass_ticket") if not values.get(key)]
        if missing:
            raise LoginRefused("-1", f"login answer lacks {', '.join(missing)}")
        setattr(core, SCANNED_ATTR, True)
        info = core.loginInfo
        info["url"] = redirect_uri[: redirect_uri.rfind("/")]
        info["fileUrl"], info["syncUrl"] = file_and_sync_urls(info["url"])
        info["deviceid"] = "e" + repr(random.random())[2:17]
        info["skey"] = values["skey"]
        info["wxsid"] = values["wxsid"]
        info["wxuin"] = values["wxuin"]
        info["pass_ticket"] = values["pass_ticket"]
        # itchat puts pass_ticket in BaseRequest.DeviceID; kept as it is, the server expects what itchat sends.
        info["BaseRequest"] = {"Skey": values["skey"], "Sid": values["wxsid"], "Uin": values["wxuin"],
                               "DeviceID": values["pass_ticket"]}

    return process_login_info


UOS_REDIRECT_URI = "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?mod=desktop"
_original_get_qr_uuid = None


def get_qr_uuid_desktop(self):
    """itchat's get_QRuuid as desktop clients ask: jslogin with a redirect_uri carrying mod=desktop
    (why2lyj/ItChat-UOS, itchat-desktop), so the login redirect the server answers with is the desktop one."""
    from itchat import config

    params = {"appid": "wx782c26e4c19acffb", "fun": "new", "lang": "zh_CN", "redirect_uri": UOS_REDIRECT_URI}
    response = self.s.get(f"{config.BASE_URL}/jslogin", params=params, headers={"User-Agent": config.USER_AGENT})
    found = re.search(r'window.QRLogin.code = (\d+); window.QRLogin.uuid = "(\S+?)";', response.text)
    if found and found.group(1) == "200":
        self.uuid = found.group(2)
        return self.uuid
    return None


def install(mode: str, extspam: str = "") -> None:
    """Make itchat log in with the given mode (affects every itchat Core in this process)."""
    global _original_get_qr_uuid
    import itchat.components.login as login_module
    from itchat.core import Core

    login_module.process_login_info = make_process_login_info(mode, extspam)
    if _original_get_qr_uuid is None:
        _original_get_qr_uuid = Core.get_QRuuid
    Core.get_QRuuid = get_qr_uuid_desktop if mode == "uos" else _original_get_qr_uuid
