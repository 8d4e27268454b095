"""What the WeChat server delivers, made safe before itchat parses it, and appmsg XML parsed safely.

itchat's `produce_msg` runs a few backtracking regular expressions over message content any WeChat user shapes:
`(.+?\\(.+?\\))` on a shared location (cubic: 1,000 "(" took 1.6 s), and `\\[CDATA\\[(.+?)\\]...` on transfer and recall
notes (quadratic). itchat stays unmodified: `install()` points the two modules that call `produce_msg` at a wrapper
that hands every other message to itchat's own function and produces these three shapes itself, with the same
result but the same patterns run by the `regex` package under a time-out, on content capped as every pattern
match on WeChat text is (libs/text_limits.py).

XML (an MP's article list, the login answer) is parsed with defusedxml (no entity expansion, no external entities),
and only up to `MAX_XML_CHARS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import regex
from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

from libs.text_limits import matchable

logger = logging.getLogger(__name__)

RISKY_TIMEOUT = 0.01  # seconds per pattern
MAX_XML_CHARS = 256 * 1024  # an MP push with 8 articles is a few KB

_MAP = regex.compile(r"(.+?\(.+?\))")
_TRANSFER = regex.compile(r"\[CDATA\[(.+?)\][\s\S]+?\[CDATA\[(.+?)\]")
_RECALL = regex.compile(r"\[CDATA\[(.+?)\]\]")

_installed = False


def _search(pattern: Any, content: str) -> Any:
    try:
        return pattern.search(matchable(content), timeout=RISKY_TIMEOUT)
    except TimeoutError:
        logger.info("message content of %d characters: parsing gave up after %ss", len(content), RISKY_TIMEOUT)
        return None


def risky(m: dict) -> bool:
    """The message shapes for which itchat's own parsing backtracks."""
    kind = m.get("MsgType")
    return (kind == 1 and bool(m.get("Url"))) or (kind == 49 and m.get("AppMsgType") == 2000) or kind == 10002


def produce_risky(core: Any, m: dict) -> dict:
    """itchat's produce_msg for one risky message (itchat 1.2.32, components/messages.py), bounded."""
    from itchat import utils
    from itchat.components.messages import produce_group_chat

    if "@@" in m["FromUserName"] or "@@" in m["ToUserName"]:
        produce_group_chat(core, m)  # one anchored, linear match
    else:
        utils.msg_formatter(m, "Content")
    content = m.get("Content") or ""
    if m["MsgType"] == 1:
        found = _search(_MAP, content)
        msg = {"Type": "Map", "Text": found.group(1) if found else "Map"}
    elif m["MsgType"] == 49:
        found = _search(_TRANSFER, content)
        text = found.group(2).split("\u3002")[0] if found else "You may found detailed info in Content key."
        msg = {"Type": "Note", "Text": text}
    else:
        found = _search(_RECALL, content)
        msg = {"Type": "Note", "Text": found.group(1).replace("\\", "") if found else "System message"}
    return dict(m, **msg)


def guarded(original: Callable) -> Callable:
    def produce_msg(core, msgList):
        produced = []
        for m in msgList:
            produced.extend([produce_risky(core, m)] if risky(m) else original(core, [m]))
        return produced

    produce_msg.guarded = True
    return produce_msg


def install() -> None:
    """Route itchat's message parsing through `guarded` (idempotent; call before a Bot is created)."""
    global _installed
    if _installed:
        return
    from itchat.components import hotreload, login

    for module in (login, hotreload):
        if not getattr(module.produce_msg, "guarded", False):
            module.produce_msg = guarded(module.produce_msg)
    _installed = True


def parse_xml(text: str | None) -> Any:
    """The root element of untrusted XML, or None when it is too long, malformed or uses entities/DTDs."""
    if not text or len(text) > MAX_XML_CHARS:
        return None
    try:
        return SafeTree.fromstring(text, forbid_dtd=True)  # appmsg XML never has a DTD
    except (SafeTree.ParseError, DefusedXmlException, ValueError):
        return None


def mp_articles(content: str | None) -> list[tuple[str, str]]:
    """(title, url) of each article in an MP push (what wxpy's Message.articles reads, without its unsafe parse)."""
    root = parse_xml(content)
    if root is None:
        return []
    return [(item.findtext("title") or "", item.findtext("url") or "")
            for item in root.iterfind(".//mmreader/category/item")]
