"""What a plugin is: the object a plugin module's `export()` returns, normalized once at load time.

The interface is the one community plugins of the reference implementation use (class attributes and a `main(msg)`
class method); every attribute but `name` and `main` is optional. Two of the reference loader's faults are fixed
here: a single pattern string is ONE regex (iterating it gave one "pattern" per character), and patterns are
compiled case-insensitively, because they are matched against `msg.text.lower()` and community plugins write
patterns such as "@Python之美". They are compiled with the `regex` package, whose searches take a time-out: the
matcher gives every message one time budget for all patterns (libs/text_limits.py), since a pattern that
backtracks badly on a crafted message would otherwise stall the bot's message loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import regex

from libs.text_limits import regex_flags

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
SETTING_TYPES = (bool, int, float, str, list)


class PluginInvalid(ValueError):
    """A plugin object does not follow the interface; the message says what is wrong."""


@dataclass(frozen=True)
class PluginSpec:
    name: str
    main: Callable[[Any], Any]
    description: str = ""
    patterns: tuple[regex.Pattern, ...] | None = None  # None: every message
    exclusive: bool = False
    exclude_patterns: tuple[regex.Pattern, ...] = ()
    msg_types: frozenset[str] | None = None  # lower-cased wxpy type names; None: every type
    chats: tuple[Any, ...] | None = None  # chat classes, chat objects or puids; None: every chat
    run_async: bool = True
    except_self: bool = True
    # True: `main` gets the neutral message (wechat/plugins/seam_message.py) on every driver; False (the community
    # interface): the itchat driver's wxpy Message there, the neutral message on other drivers (docs/PLUGINS.md).
    neutral: bool = False
    enabled_by_default: bool = True
    time_limit: float | None = None  # seconds; capped by PLUGIN_TIME_LIMIT
    # account id -> whether the plugin has anything to do there now (autoreply: the account has a rule). Asked in
    # the message loop before a call is started, so it must be cheap and do no I/O; None: always.
    wanted: Callable[[int], bool] | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # name -> default (its type is the setting's type)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # numeric setting -> (lowest, highest)
    secrets: frozenset[str] = frozenset()  # settings never shown back in full
    # secret -> the setting it belongs to (an API key -> its base URL): the secret is never used with another value
    # of that setting (wechat/plugins/settings.py).
    secret_bindings: dict[str, str] = field(default_factory=dict)
    source: str = ""
    obj: Any = None


def compile_patterns(raw: Any, what: str = "patterns") -> tuple[regex.Pattern, ...]:
    """A string is one regex; a list/tuple/set holds regex strings or compiled patterns (`re` or `regex`)."""
    if raw is None:
        return ()
    items: Iterable[Any] = [raw] if isinstance(raw, str | re.Pattern | regex.Pattern) else raw
    if not isinstance(items, list | tuple | set | frozenset):
        raise PluginInvalid(f"{what} must be a regex string or a list of them")
    compiled = []
    for item in items:
        if isinstance(item, re.Pattern | regex.Pattern):
            flags = regex_flags(item.flags) if isinstance(item, re.Pattern) else item.flags
            compiled.append(regex.compile(item.pattern, flags | regex.IGNORECASE))
        elif isinstance(item, str) and item:
            try:
                compiled.append(regex.compile(item, regex.IGNORECASE))
            except regex.error as exc:
                raise PluginInvalid(f"{what}: bad regex {item!r} ({exc})") from None
        else:
            raise PluginInvalid(f"{what} must hold non-empty regex strings")
    return tuple(compiled)


def _names(raw: Any) -> frozenset[str] | None:
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple | set | frozenset) or not all(isinstance(i, str) for i in items):
        raise PluginInvalid("msg_types must be a wxpy type name such as 'Text' or a list of them")
    return frozenset(i.lower() for i in items) or None


def _chats(raw: Any) -> tuple[Any, ...] | None:
    if raw is None:
        return None
    if isinstance(raw, list | tuple | set | frozenset):
        return tuple(raw) or None
    return (raw,)


def _settings(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and k for k in raw):
        raise PluginInvalid("settings must be a dict of setting name -> default value")
    for key, value in raw.items():
        if not isinstance(value, SETTING_TYPES):
            raise PluginInvalid(f"setting {key!r}: the default must be a bool, number, string or list")
    return dict(raw)


def _limits(raw: Any, settings: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """`limits = {"max_tokens": (1, 32768)}`: the bounds an admin's value must keep (checked when saving)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PluginInvalid("limits must be a dict of setting name -> (lowest, highest)")
    limits = {}
    for key, bounds in raw.items():
        default = settings.get(key)
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise PluginInvalid(f"limits: {key!r} is not a numeric setting")
        if (not isinstance(bounds, tuple | list) or len(bounds) != 2
                or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
                or not bounds[0] <= default <= bounds[1]):
            raise PluginInvalid(f"limits: {key!r} needs (lowest, highest) around its default")
        limits[key] = (bounds[0], bounds[1])
    return limits


def spec_from_object(obj: Any, source: str) -> PluginSpec:
    """Normalize a plugin object (a class with class attributes, an instance, or a module)."""
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise PluginInvalid("a plugin needs a `name` of letters, digits, '_', '.' or '-' (at most 80)")
    main = getattr(obj, "main", None)
    if not callable(main):
        raise PluginInvalid(f"plugin {name}: `main(msg)` is missing or not callable")
    patterns = getattr(obj, "patterns", None)
    settings = _settings(getattr(obj, "settings", None))
    secrets = frozenset(getattr(obj, "secrets", None) or ())
    if not secrets <= set(settings):
        raise PluginInvalid(f"plugin {name}: every secret must be a declared setting")
    bindings = getattr(obj, "secret_bindings", None) or {}
    if not isinstance(bindings, dict) or not all(k in secrets and v in settings and k != v
                                                 for k, v in bindings.items()):
        raise PluginInvalid(f"plugin {name}: secret_bindings maps a secret to another declared setting")
    time_limit = getattr(obj, "time_limit", None)
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, int | float)
                                   or time_limit <= 0):
        raise PluginInvalid(f"plugin {name}: time_limit must be a positive number of seconds")
    wanted = getattr(obj, "wanted", None)
    if wanted is not None and not callable(wanted):
        raise PluginInvalid(f"plugin {name}: `wanted(account_id)` must be callable")
    return PluginSpec(
        name=name, main=main, description=str(getattr(obj, "description", "") or "").strip(),
        patterns=compile_patterns(patterns) or None,
        exclusive=bool(getattr(obj, "exclusive", False)),
        exclude_patterns=compile_patterns(getattr(obj, "exclude_patterns", None), "exclude_patterns"),
        msg_types=_names(getattr(obj, "msg_types", None)), chats=_chats(getattr(obj, "chats", None)),
        run_async=bool(getattr(obj, "run_async", True)), except_self=bool(getattr(obj, "except_self", True)),
        neutral=bool(getattr(obj, "neutral", False)), enabled_by_default=bool(getattr(obj, "enabled", True)),
        time_limit=time_limit, wanted=wanted,
        settings=settings, limits=_limits(getattr(obj, "limits", None), settings), secrets=secrets,
        secret_bindings=dict(bindings), source=source, obj=obj,
    )
