"""Who joined a group, read from WeChat's system notes (message type 10000).

The forms WeChat writes (names in straight double quotes; several names joined by "、"):
    "X"邀请"Y"加入了群聊            someone invited Y
    "Y"通过扫描"X"分享的二维码加入群聊   Y scanned X's QR code
    你邀请"Y"加入了群聊              the bot added Y
    "Y"通过你的邀请加入了群聊          Y accepted the bot's invitation
Names may themselves contain quotes, so the patterns anchor on the fixed words, not on the quotes.
"""

from __future__ import annotations

import re

_JOINED = [
    re.compile(r'^(?:你|".+")邀请"(?P<names>.+)"加入了群聊$'),
    re.compile(r'^"(?P<names>.+)"通过扫描(?:你|".+")分享的二维码加入群聊$'),
    re.compile(r'^"(?P<names>.+)"通过你的邀请加入了群聊$'),
]


def joined_names(note: str) -> list[str]:
    """The nick names a join note announces ([] for any other note)."""
    text = (note or "").strip()
    for pattern in _JOINED:
        match = pattern.match(text)
        if match:
            return [name for name in match.group("names").split('"、"') if name]
    return []
