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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, create_model

from libs.api_spec import validate_model
from libs.column_types import Text
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


def _setting_type(default: Any, limits: tuple[float, float] | None) -> Any:
    """A setting's type, from its default: bool, whole number, number (an int is taken), text, list of texts."""
    bounds = Field(ge=limits[0], le=limits[1]) if limits is not None else Field()
    if isinstance(default, bool):
        return StrictBool
    if isinstance(default, int):
        return Annotated[StrictInt, bounds]
    if isinstance(default, float):
        return Annotated[float, Field(allow_inf_nan=False), bounds]
    if isinstance(default, str):
        return Text(MAX_STRING)
    if isinstance(default, list):
        return Annotated[list[Text(MAX_STRING)], Field(max_length=MAX_LIST)]
    return Any


_models: dict[int, tuple[PluginSpec, type[BaseModel]]] = {}  # by id: a spec (dicts inside) is not hashable


def settings_model(spec: PluginSpec) -> type[BaseModel]:
    """The model of a plugin's settings, built from what it declares (`settings` defaults, `limits`); one per
    loaded spec (a reload makes new specs, and new models)."""
    entry = _models.get(id(spec))
    if entry is None or entry[0] is not spec:
        fields = {key: (_setting_type(default, spec.limits.get(key)), None) for key, default in spec.settings.items()}
        model = create_model("PluginSettings", __config__=ConfigDict(strict=True, extra="forbid"), **fields)
        entry = _models[id(spec)] = (spec, model)
    return entry[1]


def validate(spec: PluginSpec, changes: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    """Check a partial update and return it normalized; a secret sent back as its mask is left out (unchanged)."""
    values = validate_model(settings_model(spec), changes, prefix="settings").model_dump(exclude_unset=True)
    current = public(spec, stored)
    checked = {key: value for key, value in values.items()
               if not (key in spec.secrets and isinstance(value, str) and value.startswith(MASK)
                       and value == current.get(key))}
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
