"""Which WeChat driver runs: the one product module that imports a driver package (docs/DRIVERS.md).

`itchat` is the wxpy/itchat stack of drivers/itchat, still driven by the listener's own login loop
(wechat/bot/listener.py), which reaches the driver's public names as `driver_factory.itchat.<name>`; every other
name builds a seam driver (drivers.interface.Driver) that the seam listener (wechat/bot/driver_listener.py) logs in
and polls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drivers import itchat
from drivers.interface import Driver
from drivers.types import DRIVER_NAMES, Capability, IdStability

DRIVERS = DRIVER_NAMES
ITCHAT_CAPABILITIES = itchat.CAPABILITIES


class DriverConfigError(RuntimeError):
    """WECHAT_DRIVER or the driver's settings are wrong: the worker says so instead of starting a listener."""


def driver_name(config: Mapping[str, Any]) -> str:
    name = str(config.get("WECHAT_DRIVER") or "itchat").strip().lower()
    if name not in DRIVERS:
        raise DriverConfigError(f"WECHAT_DRIVER must be one of {', '.join(DRIVERS)}, not {name[:40]!r}")
    return name


def uses_seam(config: Mapping[str, Any]) -> bool:
    """True when the listener runs a seam driver (everything but the wxpy-native itchat path)."""
    return driver_name(config) != "itchat"


def build_driver(config: Mapping[str, Any]) -> Driver:
    """A fresh, not yet logged-in seam driver for the configured protocol."""
    name = driver_name(config)
    if name == "padpro":
        from drivers.padpro import GatewayClient, PadProDriver

        base_url, key = str(config.get("PADPRO_BASE_URL") or ""), str(config.get("PADPRO_KEY") or "")
        if not base_url or not key:
            # Never the key itself in the message: only whether it is set.
            raise DriverConfigError("WECHAT_DRIVER=padpro needs PADPRO_BASE_URL and PADPRO_KEY "
                                    f"(base URL {'set' if base_url else 'missing'}, key {'set' if key else 'missing'})")
        try:
            client = GatewayClient(base_url, key, timeout=15)
        except ValueError as exc:  # BadGatewayUrl: its message names the rule, never the URL's secrets
            raise DriverConfigError(f"PADPRO_BASE_URL: {exc}") from None
        return PadProDriver(client, http_sync_interval=float(config.get("PADPRO_HTTP_SYNC_SECONDS") or 30))
    raise DriverConfigError("the itchat driver is run by the wxpy listener path, not built here")


def seam_driver(connection: Any) -> Driver:
    """The seam driver of the live connection: a seam driver itself, or the ItchatDriver over the listener's wxpy
    Bot (one per Bot). Commands and the sync work on this, whichever driver runs."""
    from wechat.bot.seam import is_driver

    return connection if is_driver(connection) else itchat.driver_for(connection)


def avatar_origin(config: Mapping[str, Any]) -> str | None:
    """The one origin a seam driver's avatar URLs may be fetched from: the configured gateway's base URL (the
    real gateway hands out WeChat CDN URLs, which the product does not fetch); None when there is none."""
    if driver_name(config) != "padpro":
        return None
    from drivers.padpro import normalize_base_url

    try:
        return normalize_base_url(str(config.get("PADPRO_BASE_URL") or ""))
    except ValueError:
        return None


def capability_names(capabilities: Capability) -> str:
    """Capabilities as the login record stores them: comma-separated flag names, lower case, sorted."""
    return ",".join(sorted(flag.name.lower() for flag in Capability if flag.value and flag in capabilities))


def login_fields(name: str, capabilities: Capability, id_stability: IdStability) -> dict[str, str]:
    """What the login record says about the connection (wechat/bot/state.py; the API and the dashboard read it)."""
    return {"driver": name, "capabilities": capability_names(capabilities), "id_stability": id_stability.value}


def itchat_login_fields() -> dict[str, str]:
    return login_fields(itchat.NAME, itchat.CAPABILITIES, itchat.ID_STABILITY)
