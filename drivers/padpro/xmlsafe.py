"""XML from WeChat users (appmsg, sysmsg, friend requests) parsed without surprises.

No DTD is accepted, so no entity can be declared and none expanded (billion laughs, external entities);
inputs above ``MAX_XML`` characters are not parsed at all. Anything odd gives ``None``, never an exception.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

MAX_XML = 256 * 1024
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


def parse(text: str, limit: int = MAX_XML) -> ET.Element | None:
    if not text or len(text) > limit:
        return None
    start = text.find("<")
    if start < 0:
        return None
    text = text[start:]
    if _DTD.search(text):
        return None
    try:
        return ET.fromstring(text)
    except (ET.ParseError, ValueError):
        return None


def find_text(root: ET.Element | None, path: str) -> str:
    if root is None:
        return ""
    node = root.find(path)
    return (node.text or "").strip() if node is not None else ""


def attr(root: ET.Element | None, path: str, name: str) -> str:
    if root is None:
        return ""
    node = root if path == "." else root.find(path)
    return node.get(name, "") if node is not None else ""
