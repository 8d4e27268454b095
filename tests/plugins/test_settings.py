"""Plugin settings: types from the defaults, secrets from the environment, masks never leak the value."""

import pytest

from libs.validation import ValueInvalid
from wechat.plugins import settings
from wechat.plugins.spec import spec_from_object


class Demo:
    name = "demo-x"
    settings = {"url": "", "api_key": "", "timeout": 10.0, "turns": 3, "on": True, "words": []}
    secrets = ("api_key",)
    main = staticmethod(lambda msg: None)

    @staticmethod
    def validate_settings(values):
        if values["url"] and not values["url"].startswith("http"):
            raise ValueError("url must start with http")


SPEC = spec_from_object(Demo, "test")


def test_env_name():
    assert settings.env_name("demo-x", "api_key") == "PLUGIN_DEMO_X_API_KEY"


def test_secret_from_settings_or_environment_and_always_masked():
    env = {"PLUGIN_DEMO_X_API_KEY": "sk-environment-0000-1234"}
    assert settings.effective(SPEC, {}, env)["api_key"] == "sk-environment-0000-1234"
    assert settings.public(SPEC, {}, env)["api_key"] == "****1234"
    assert settings.secret_source(SPEC, {}, "api_key", env) == "environment"
    stored = {"api_key": "short"}
    assert settings.effective(SPEC, stored, env)["api_key"] == "short"
    assert settings.public(SPEC, stored, env)["api_key"] == "****"
    assert settings.public(SPEC, {}, {})["api_key"] == ""


def test_validate_types_and_unknown_keys():
    assert settings.validate(SPEC, {"timeout": 3, "turns": 2, "on": False, "words": ["a"]}, {}) == {
        "timeout": 3.0, "turns": 2, "on": False, "words": ["a"]}
    for bad in ({"turns": True}, {"turns": 1.5}, {"on": 1}, {"timeout": "3"}, {"words": [1]}, {"nope": 1},
                {"url": "ftp://x"}):
        with pytest.raises(ValueInvalid):
            settings.validate(SPEC, bad, {})


def test_sending_the_mask_back_keeps_the_secret():
    stored = {"api_key": "sk-stored-secret-9999"}
    assert settings.validate(SPEC, {"api_key": "****9999", "turns": 1}, stored) == {"turns": 1}
    assert settings.validate(SPEC, {"api_key": "new-key"}, stored) == {"api_key": "new-key"}
