"""Message templates an admin writes ("欢迎 {name}"): plain `{name}` placeholders from a known list, nothing else.

str.format would also run format specs and lookups written into the template: `{group:>99999999}` builds a
100 MB string on every send, `{name.__class__}` and `{0[0]}` reach into objects. `check` refuses those when a
template is saved, and `fill` substitutes only plain names, so even a template stored before the check cannot.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

_FORMATTER = string.Formatter()


class TemplateInvalid(ValueError):
    pass


def check(template: str, allowed: Iterable[str]) -> str:
    """The template unchanged, or TemplateInvalid saying which placeholder is not allowed."""
    allowed = frozenset(allowed)
    known = ", ".join("{" + name + "}" for name in sorted(allowed)) or "none"
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateInvalid(f"bad placeholder ({exc}); write {{{{ and }}}} for literal braces") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed:
            raise TemplateInvalid(f"unknown placeholder {{{name[:40]}}} (allowed: {known})")
        if spec or conversion:
            raise TemplateInvalid(f"placeholder {{{name}}} takes no format spec or conversion (write just "
                                  f"{{{name}}})")
    return template


def fill(template: str, **values: Any) -> str:
    """The template with each `{name}` replaced by str(value); `{{`/`}}` are literal braces. A placeholder that
    is not plain, or not given, is left as written."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError:
        return template
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(str(values[name]))
        else:
            out.append("{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}")
    return "".join(out)
