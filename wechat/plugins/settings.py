"""Per-plugin settings: declared by the plugin (`settings = {name: default}`, `secrets = (...)`), stored in SQL
(`plugin_configs.settings`, only what an admin set), checked against the default's type.

A secret (an API key) comes from the stored settings or else from the environment variable
`PLUGIN_<NAME>_<SETTING>` (upper case, other characters as `_`), so it can stay out of the database. It is never
shown back in full: GET answers a mask, and a PUT that sends the mask back unchanged keeps the stored value.

A secret can be bound to another setting (`secret_bindings = {"api_key": "base_url"}`), so whoever may change
settings cannot redirect the key to a server of theirs:
- the environment's secret is used only while the bound setting has the environment's value
  (`PLUGIN_LLM_API_KEY` goes only to `PLUGIN_LLM_BASE_URL`, which is also the setting's default);
- a change of the bound setting that does not give the secret again clears the stored secret.
"""

from __future__ import annotations

import os
import re
from typing import Any

from libs.validation import ValueInvalid
from wechat.plugins.spec import PluginSpec

MASK = "****"
MAX_STRING = 4000
MAX_LIST = 200


def env_name(plugin: str, setting: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", f"PLUGIN_{plugin}_{setting}".upper())


def mask(value: str) -> str:
    return MASK + value[-4:] if len(value) >= 12 else MASK


def _same(a: Any, b: Any) -> bool:
    return str(a or "").strip().rstrip("/") == str(b or "").strip().rstrip("/")


def _env_secret(spec: PluginSpec, values: dict[str, Any], key: str, environ) -> str | None:
    """The environment's secret, if it may be used with these values (its bound setting has the environment's value)."""
    secret = environ.get(env_name(spec.name, key))
    bound = spec.secret_bindings.get(key)
    if secret and bound is not None and not _same(values.get(bound), environ.get(env_name(spec.name, bound))):
        return None
    return secret or None


def secret_source(spec: PluginSpec, stored: dict[str, Any], key: str, environ=os.environ) -> str | None:
    if stored.get(key):
        return "settings"
    if _env_secret(spec, effective(spec, stored, environ), key, environ):
        return "environment"
    return None


def effective(spec: PluginSpec, stored: dict[str, Any] | None, environ=os.environ) -> dict[str, Any]:
    """Defaults overlaid with the stored values; secrets (and the settings they are bound to) fall back to the
    environment."""
    stored = stored or {}
    values = {key: stored.get(key, default) for key, default in spec.settings.items()}
    for bound in set(spec.secret_bindings.values()):
        if bound not in stored and environ.get(env_name(spec.name, bound)):
            values[bound] = environ[env_name(spec.name, bound)]
    for key in spec.secrets:
        if not stored.get(key):
            values[key] = _env_secret(spec, values, key, environ) or spec.settings[key]
    return values


def public(spec: PluginSpec, stored: dict[str, Any] | None, environ=os.environ) -> dict[str, Any]:
    """What the API shows: effective values with every secret masked."""
    values = effective(spec, stored, environ)
    return {key: (mask(str(value)) if key in spec.secrets and value else value) for key, value in values.items()}


def _check(key: str, value: Any, default: Any, limits: tuple[float, float] | None = None) -> Any:
    field = f"settings.{key}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueInvalid(field, "must be true or false")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueInvalid(field, "must be a whole number")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueInvalid(field, "must be a number")
        value = float(value)
    if limits is not None and not limits[0] <= value <= limits[1]:
        raise ValueInvalid(field, f"must be from {limits[0]} to {limits[1]}")
    if isinstance(default, str):
        if not isinstance(value, str) or len(value) > MAX_STRING:
            raise ValueInvalid(field, f"must be a string of at most {MAX_STRING} characters")
    elif isinstance(default, list):
        if not isinstance(value, list) or len(value) > MAX_LIST or not all(isinstance(v, str) for v in value):
            raise ValueInvalid(field, f"must be a list of at most {MAX_LIST} strings")
    return value


def validate(spec: PluginSpec, changes: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    """Check a partial update and return it normalized; a secret sent back as its mask is left out (unchanged)."""
    if not isinstance(changes, dict):
        raise ValueInvalid("settings", "must be a JSON object")
    unknown = sorted(set(changes) - set(spec.settings))
    if unknown:
        known = ", ".join(spec.settings) or "none"
        raise ValueInvalid(f"settings.{unknown[0]}", f"unknown setting (known: {known})")
    checked = {}
    current = public(spec, stored)
    for key, value in changes.items():
        if key in spec.secrets and isinstance(value, str) and value.startswith(MASK) and value == current.get(key):
            continue
        checked[key] = _check(key, value, spec.settings[key], spec.limits.get(key))
    before = effective(spec, stored)
    for secret, bound in spec.secret_bindings.items():
        if bound in checked and not _same(checked[bound], before[bound]) and secret not in checked:
            checked[secret] = ""  # the stored key does not follow the setting it was given for
    validator = getattr(spec.obj, "validate_settings", None)
    if callable(validator) and checked:  # a plugin may check more (e.g. a URL); it raises ValueError with the reason
        try:
            validator(effective(spec, {**(stored or {}), **checked}))
        except ValueInvalid:
            raise
        except ValueError as exc:
            raise ValueInvalid("settings", str(exc)) from None
    return checked
