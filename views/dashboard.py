"""The dashboard's pages: server-rendered shells whose JavaScript modules (static/js/pages/) fetch the JSON API.

Every page needs a signed-in admin (libs/auth.py denies by default); the data comes from /api and /stream.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from drivers.types import DRIVER_NAMES
from libs.i18n import js_strings
from views.chat_strings import CHAT_STRINGS

bp = Blueprint("dashboard", __name__)


def cannot(capability: str) -> str:
    """In templates: why the logged-in driver cannot do `capability` (e.g. "send_file"), or "" when it can or
    nothing is known (not logged in). The control it names is greyed out with this reason (wechat/bot/capabilities)."""
    from drivers.types import Capability
    from wechat import control
    from wechat.bot import capabilities

    flag = Capability.__members__[capability.upper()]  # a typo is a 500 in tests, not a silent "can"
    try:
        capabilities.require(control.bot_state().login(), [flag])
    except capabilities.Unsupported as exc:
        return exc.message
    except Exception:  # Redis unavailable: render the page; the API still refuses what the driver cannot do
        return ""
    return ""


@bp.app_context_processor
def capability_helpers() -> dict:
    return {"cannot": cannot}

# endpoint → (URL, template). One line per page keeps the navigation bar and the routes in step.
PAGES = {
    "index": ("/", "index.html"),
    "accounts": ("/accounts", "accounts.html"),
    "chats": ("/chats", "chats.html"),
    "wechat_login": ("/wechat", "wechat_login.html"),
    "contacts": ("/contacts", "contacts.html"),
    "groups": ("/groups", "groups.html"),
    "mps": ("/mps", "mps.html"),
    "messages": ("/messages", "messages.html"),
    "insights": ("/insights", "insights.html"),
    "send": ("/send", "send.html"),
    "automation": ("/automation", "automation.html"),
    "plugins": ("/plugins", "plugins.html"),
    "schedules": ("/schedules", "schedules.html"),
    "audit": ("/audit", "audit.html"),
    "admins": ("/admins", "admins.html"),
    "api_reference": ("/api-reference", "api_reference.html"),
}

# Strings of the pickers, the plugins/auto-replies page and the schedules page, added to libs/i18n.JS_STRINGS for
# the JavaScript modules (same catalogue, same `t(key)` in static/js/core.js).
PAGE_STRINGS = {
    "kind_contact": _l("P"),
    "kind_group": _l("G"),
    "kind_mp": _l("OA"),
    "picker_search": _l("Search by name…"),
    "pick_mp": _l("Pick an official account…"),
    "pick_groups": _l("Pick groups…"),
    "forward_to_groups": _l("Forward to these groups"),
    "add_forwarding": _l("Add an official account"),
    "add_relay_set": _l("Add a relay set"),
    "edit": _l("Edit"),
    "deleted": _l("Deleted."),
    "save_changes": _l("Save changes"),
    "nothing_changed": _l("Nothing changed."),
    # plugins
    "plugin_source": _l("Where the plugin comes from"),
    "off_by_default": _l("Off by default"),
    "exclusive": _l("Exclusive"),
    "patterns": _l("Patterns"),
    "every_message": _l("Sees every message"),
    "last_error": _l("Last error at {time} ({n} in all)"),
    "clear_error": _l("Clear"),
    "error_cleared": _l("Error cleared."),
    "load_errors": _l("These plugins could not be loaded:"),
    "plugins_reloaded": _l("Plugins loaded again: {n} available."),
    "save_settings": _l("Save settings"),
    "settings_count": _l("Settings ({n})"),
    "secret": _l("secret"),
    "secret_stored": _l("Set here. Leave the masked value as it is to keep it; empty it to use the environment."),
    "secret_from_env": _l("Taken from the environment variable {env}. A value entered here takes precedence."),
    "secret_unset": _l("Not set. Enter it here or set the environment variable {env}."),
    # auto-replies
    "new_rule": _l("New rule"),
    "edit_rule": _l("Edit rule {id}"),
    "add_rule": _l("Add rule"),
    "no_rules": _l("No auto-reply rules yet. Add the first one with the form."),
    "mode_exact": _l("Exactly"),
    "mode_contains": _l("Contains"),
    "mode_regex": _l("Regular expression"),
    "scope_friends": _l("Chats with friends"),
    "scope_groups": _l("All groups"),
    "scope_all": _l("Friends and all groups"),
    "scope_chosen": _l("Chosen groups"),
    "needs_at": _l("only when @-mentioned"),
    "no_at_needed": _l("without @-mention"),
    "position_n": _l("position {n}"),
    "delete_rule_confirm": _l("Delete the rule “{pattern}”?"),
    # schedules
    "new_schedule": _l("New schedule"),
    "edit_schedule": _l("Edit schedule “{name}”"),
    "schedule_n": _l("Schedule {id}"),
    "once": _l("Once"),
    "paused": _l("Paused"),
    "finished": _l("Finished"),
    "next_run": _l("Next run"),
    "no_next_run": _l("No next run"),
    "last_run": _l("Last run"),
    "history": _l("History"),
    "no_runs": _l("It has not run yet."),
    "run_sent": _l("Sent"),
    "run_sending": _l("Sending"),
    "run_failed": _l("Failed"),
    "run_missed": _l("Missed ({n})"),
    "ran_at": _l("ran at {time}"),
    "job_n": _l("send job {id}"),
    "to_recipients": _l("To: {names}"),
    "files_n": _l("{n} files"),
    "uploaded_file": _l("Uploaded file"),
    "upload_missing": _l("This upload no longer exists"),
    "delete_schedule_confirm": _l("Delete the schedule “{name}” and its history?"),
    # accounts (add, pause, resume, remove: owners)
    "account_added": _l("Account “{slot}” added. A worker starts it within seconds; switch to it to scan its QR "
                        "code."),
    "account_paused": _l("Account “{slot}” paused: its listener stops."),
    "account_resumed": _l("Account “{slot}” resumed."),
    "account_archived": _l("Account “{slot}” removed; its archive stays readable (read-only)."),
    "account_deleted": _l("Account “{slot}” and all its data deleted."),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "badge_paused": _l("Paused"),
    "badge_archived": _l("Archived (read-only)"),
    "badge_default": _l("Default account"),
    "remove_keep": _l("Keep the archive (read-only)"),
    "remove_delete": _l("Delete everything: contacts, groups, messages, media, jobs, schedules"),
    "remove_confirm_label": _l("Type {slot} to confirm"),
    "remove_confirm_mismatch": _l("Type the slot name exactly to confirm."),
    **CHAT_STRINGS,
}


def page_js_strings() -> dict[str, str]:
    from views.insights import JS_STRINGS as INSIGHT_STRINGS

    return {**js_strings(), **{key: str(value) for key, value in {**PAGE_STRINGS, **INSIGHT_STRINGS}.items()}}


def _page(template: str):
    def view():
        return render_template(template, login_mode=current_app.config.get("WECHAT_LOGIN_MODE", "web"),
                               js_strings=page_js_strings, account_drivers=DRIVER_NAMES,
                               default_driver=current_app.config.get("WECHAT_DRIVER", "itchat"))

    return view


for _endpoint, (_rule, _template) in PAGES.items():
    bp.add_url_rule(_rule, _endpoint, _page(_template), methods=["GET"])
