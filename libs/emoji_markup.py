"""Web WeChat writes some emoji as `<span class="emoji emoji1f604"></span>`; turn them into real Unicode."""

from __future__ import annotations

import re

_SPAN = re.compile(r'<span class="emoji emoji([0-9a-fA-F]{2,20})"></span>')


def _codepoints(hexes: str) -> str:
    # WeChat concatenates code points without separators: 1f604 (one), 1f1e81f1f3 (two of five digits each),
    # 263a (four). Split into 5-digit runs when the length is a multiple of 5, else 4-digit runs.
    hexes = hexes.lower()
    if len(hexes) <= 5:
        parts = [hexes]
    elif len(hexes) % 5 == 0:
        parts = [hexes[i:i + 5] for i in range(0, len(hexes), 5)]
    elif len(hexes) % 4 == 0:
        parts = [hexes[i:i + 4] for i in range(0, len(hexes), 4)]
    else:
        parts = [hexes[:2], hexes[2:]] if len(hexes) == 6 else [hexes]
    try:
        return "".join(chr(int(part, 16)) for part in parts)
    except (ValueError, OverflowError):
        return ""


def normalize_emoji(text: str | None) -> str:
    if not text:
        return text or ""
    return _SPAN.sub(lambda match: _codepoints(match.group(1)), text)
