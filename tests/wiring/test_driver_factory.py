"""wechat/bot/driver_factory.py: the one product module that builds a driver; wrong settings say what, never the key."""

from __future__ import annotations

import pytest

from drivers.interface import Driver
from drivers.types import IdStability
from wechat.bot.driver_factory import DriverConfigError, build_driver, driver_name, uses_seam

KEY = "very-secret-gateway-key-123"


def test_the_default_is_itchat_and_names_are_checked():
    assert driver_name({}) == "itchat" and not uses_seam({})
    assert driver_name({"WECHAT_DRIVER": " PadPro "}) == "padpro" and uses_seam({"WECHAT_DRIVER": "padpro"})
    with pytest.raises(DriverConfigError, match="one of itchat, padpro"):
        driver_name({"WECHAT_DRIVER": "wechaty"})


def test_padpro_is_built_from_its_settings():
    driver = build_driver({"WECHAT_DRIVER": "padpro", "PADPRO_BASE_URL": "http://127.0.0.1:9/gw", "PADPRO_KEY": KEY,
                           "PADPRO_HTTP_SYNC_SECONDS": 7})
    assert isinstance(driver, Driver) and driver.id_stability is IdStability.STABLE
    assert KEY not in repr(driver) and KEY not in repr(driver.client)


@pytest.mark.parametrize("settings, said", [
    ({"PADPRO_BASE_URL": "", "PADPRO_KEY": KEY}, "base URL missing, key set"),
    ({"PADPRO_BASE_URL": "http://127.0.0.1:9", "PADPRO_KEY": ""}, "base URL set, key missing"),
    ({"PADPRO_BASE_URL": f"http://user:{KEY}@127.0.0.1:9", "PADPRO_KEY": KEY}, "must not carry credentials"),
    ({"PADPRO_BASE_URL": "ftp://127.0.0.1", "PADPRO_KEY": KEY}, "http:// or https://"),
])
def test_wrong_settings_are_explained_without_the_key(settings, said):
    with pytest.raises(DriverConfigError) as raised:
        build_driver({"WECHAT_DRIVER": "padpro", **settings})
    assert said in str(raised.value) and KEY not in str(raised.value)


def test_the_sandbox_is_the_default_gateway_only_on_the_sandbox(monkeypatch, tmp_path):
    from config import SANDBOX_GATEWAY_KEY, SANDBOX_URL, build_config

    for name in ("WECHAT_BASE_URL", "PADPRO_BASE_URL", "PADPRO_KEY", "WECHAT_DRIVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    config = build_config(tmp_path)
    assert (config["WECHAT_DRIVER"], config["PADPRO_BASE_URL"], config["PADPRO_KEY"]) == \
        ("itchat", SANDBOX_URL, SANDBOX_GATEWAY_KEY)
    monkeypatch.setenv("WECHAT_BASE_URL", "https://login.weixin.qq.com")
    config = build_config(tmp_path)
    assert (config["PADPRO_BASE_URL"], config["PADPRO_KEY"]) == ("", "")
    monkeypatch.setenv("PADPRO_BASE_URL", "http://gateway:8059")
    monkeypatch.setenv("PADPRO_KEY", KEY)
    config = build_config(tmp_path)
    assert (config["PADPRO_BASE_URL"], config["PADPRO_KEY"]) == ("http://gateway:8059", KEY)
