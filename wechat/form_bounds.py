"""The bounds of the dashboard's forms (min, max, maxlength), read from the constants the server validates with.

Templates render them with `bounds(form, field)` and scripts read them from the page's JSON block
(libs/page_data.py), so a form never offers what the server refuses, nor refuses what it accepts.
tests/test_one_source.py feeds each bound (and one past it) to the server's own validation.
"""

from __future__ import annotations

import functools

from libs import netguard
from libs.validation import column_length
from models.admin import ApiToken
from models.schedule import Schedule
from models.wechat import Account, Contact
from wechat import account_admin, autoreply
from wechat.automation import settings as automation
from wechat.plugins import settings as plugin_settings
from wechat.schedules import timing
from wechat.sending import jobs as send_jobs

Bounds = dict[str, int]


@functools.cache
def form_bounds() -> dict[str, dict[str, Bounds]]:
    """form → field → {"min", "max", "maxlength"} (only the ones that apply)."""
    return {
        "automation": {
            **{name: {"maxlength": automation.MAX_TEXT} for name in automation.TEXT_FIELDS},
            **{name: {"min": low, "max": high} for name, (low, high) in automation.INT_RANGES.items()},
            "pattern_keyword": {"maxlength": automation.MAX_KEYWORD},
            "pattern_template": {"maxlength": automation.MAX_GROUP_TEMPLATE},
            "blacklist_puid": {"maxlength": column_length(Contact.puid)},
        },
        "autoreply": {
            "pattern": {"maxlength": autoreply.MAX_PATTERN},
            "reply": {"maxlength": autoreply.MAX_REPLY},
        },
        # Numeric plugin settings have per-plugin ranges: the plugin API sends them with each plugin ("limits").
        "plugin": {"text": {"maxlength": plugin_settings.MAX_STRING}},
        "schedule": {
            "name": {"maxlength": column_length(Schedule.name)},
            "cron": {"maxlength": timing.MAX_CRON},
            "text": {"maxlength": send_jobs.MAX_TEXT},
        },
        "send": {"text": {"maxlength": send_jobs.MAX_TEXT}},
        "admin": {"token_name": {"maxlength": column_length(ApiToken.name)}},
        "account": {
            "slot": {"maxlength": column_length(Account.slot)},
            "base_url": {"maxlength": netguard.MAX_URL},
            "key": {"maxlength": account_admin.MAX_KEY},
        },
    }
