"""Languages of the dashboard (Flask-Babel): Simplified Chinese by default, English on request.

The choice lives in the `lang` cookie, which the language switch in the navigation bar sets from JavaScript, so it
works on the public sign-in page too (no state-changing route needed). Times are shown in the configured TIMEZONE.
Templates mark text with `_()`; JavaScript modules read their strings from a JSON block the base template renders
(`js_strings()` below), so one catalogue (translations/zh_CN) serves both.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

LANG_COOKIE = "lang"
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"

babel = Babel()

# One label per models.message.MESSAGE_TYPES entry (tests/test_one_source.py checks they match): the type filter of
# the messages page and the scripts' `type_<kind>` strings both come from here.
MESSAGE_TYPE_LABELS = {
    "text": _l("Text"),
    "picture": _l("Picture"),
    "recording": _l("Voice"),
    "video": _l("Video"),
    "attachment": _l("File"),
    "sharing": _l("Link"),
    "card": _l("Card"),
    "friends": _l("Friend request"),
    "emoticon": _l("Sticker"),
    "map": _l("Location"),
    "note": _l("Note"),
    "system": _l("System"),
    "unknown": _l("Other"),
}


def normalize_language(value: str | None) -> str | None:
    """`zh-CN`, `zh_cn`, `zh` → `zh_CN`; `en-US` → `en`; anything else → None."""
    if not value:
        return None
    value = value.strip().replace("-", "_").lower()
    if value.startswith("zh"):
        return "zh_CN"
    if value.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    chosen = normalize_language(request.args.get("lang")) or normalize_language(request.cookies.get(LANG_COOKIE))
    return chosen or current_app.config.get("DEFAULT_LANGUAGE", DEFAULT_LANGUAGE)


def select_timezone() -> str:
    return current_app.config.get("TIMEZONE", "Asia/Shanghai")


def current_language() -> str:
    """The request's language as a key of LANGUAGES (Babel spells zh_CN `zh_Hans_CN`)."""
    return normalize_language(str(get_locale() or "")) or DEFAULT_LANGUAGE


def html_lang() -> str:
    """The <html lang> value: BCP 47 (`zh-CN`, `en`)."""
    return current_language().replace("_", "-")


# Strings the JavaScript modules show. Keys are stable identifiers; values are translated per request.
JS_STRINGS = {
    "network_error": _l("The server could not be reached. Check the connection and try again."),
    "session_expired": _l("Your session has ended. Sign in again."),
    "not_available": _l("Not available yet"),
    "not_available_text": _l("This part of the service is not installed yet. It appears here once it is."),
    "loading": _l("Loading…"),
    "empty": _l("Nothing here yet."),
    "no_results": _l("Nothing matches your search."),
    "saved": _l("Saved."),
    "cancel": _l("Cancel"),
    "confirm": _l("Confirm"),
    "close": _l("Close"),
    "prev": _l("Previous"),
    "next": _l("Next"),
    "page_of": _l("Page {page} of {pages} · {total} in all"),
    "live_connected": _l("Live"),
    "live_lost": _l("Reconnecting…"),
    "state_starting": _l("Starting"),
    "state_waiting": _l("Waiting for scan"),
    "state_scanned": _l("Scanned"),
    "state_confirmed": _l("Confirmed"),
    "state_logged_in": _l("Online"),
    "state_logged_out": _l("Logged out"),
    "state_refused": _l("Refused"),
    "state_stopped": _l("Offline"),
    "state_no_listener": _l("No listener"),
    "state_not_connected": _l("Not connected"),
    "login_not_connected": _l("The bot runs another WeChat account now: this account's archive is shown, commands "
                              "that need the bot are refused."),
    # "Owner" and "Member" also name group roles (群主, 成员): admin roles have their own context.
    "role_owner": _lp("admin role", "Owner"),
    "role_operator": _lp("admin role", "Operator"),
    "role_viewer": _lp("admin role", "Viewer"),
    "role_member": _lp("admin role", "Member"),
    "switch_to": _l("Switch to"),
    "access": _l("Access"),
    "access_saved": _l("Access saved."),
    "admin_role": _l("Role"),
    "no_access": _l("No access"),
    "no_accounts": _l("No WeChat account yet: log in once first."),
    "login_starting": _l("Starting the WeChat connection…"),
    "login_waiting": _l("Scan the QR code with WeChat on your phone."),
    "login_scanned": _l("Scanned. Confirm the login on your phone."),
    "login_confirmed": _l("Confirmed. Loading contacts…"),
    "login_logged_in": _l("The bot is online."),
    "login_logged_out": _l("Logged out. A new QR code follows in a moment."),
    "login_refused": _l("WeChat refused the login"),
    "login_stopped": _l("The bot is not connected. Press “New QR code” to log in."),
    "login_no_listener": _l("No worker holds the WeChat connection right now; the watchdog starts one within seconds. "
                            "If this stays, check that a worker is running."),
    "bot_waits_for_login": _l("Bot commands wait for a WeChat login: queued tasks expire after {minutes} min, "
                              "unfinished send jobs resume after the next login."),
    "bot_queue_waiting": _l("{n} tasks queued for the bot"),
    "qr_missing": _l("No QR code right now. Press “New QR code” to get one."),
    "logout_confirm": _l("Log the bot out of WeChat? It stops answering until someone scans again."),
    "logout_requested": _l("Logging out…"),
    "login_requested": _l("A new QR code is on its way."),
    "go_login": _l("Log in to WeChat"),
    "manage_login": _l("Manage the login"),
    "healthy": _l("Healthy"),
    "unhealthy": _l("Not running"),
    "uptime": _l("Uptime"),
    "starts": _l("Starts"),
    "heartbeat": _l("Last heartbeat"),
    "wechat_degraded": _l("WeChat is failing; the bot keeps retrying"),
    "wechat_last_error": _l("Last WeChat error"),
    "friends": _l("Friends"),
    "groups": _l("Groups"),
    "members": _l("Members"),
    "all": _l("All"),
    "avatars": _l("Avatars"),
    "mps": _l("Official accounts"),
    "messages_today": _l("Messages today"),
    "unread": _l("Unread"),
    "messages_per_day": _l("Messages per day"),
    "no_messages_yet": _l("No messages in the last 14 days."),
    "no_active_groups": _l("No group has talked yet."),
    "message_count": _l("{n} messages"),
    "member_count": _l("{n} members"),
    "owner": _l("Owner"),
    "friend": _l("Friend"),
    "blacklisted": _l("Blacklisted"),
    "remove": _l("Remove"),
    "remove_confirm": _l("Remove {name} from {group}?"),
    "removed": _l("Removed {name}."),
    "add_friend": _l("Add friend"),
    "add_friend_prompt": _l("Verification text sent with the friend request"),
    "friend_request_sent": _l("Friend request sent to {name}."),
    "selected": _l("{n} selected"),
    "group_created": _l("Group “{name}” created."),
    "group_topic": _l("Name of the new group"),
    "need_two": _l("Pick at least two friends to create a group."),
    "live_data_note": _l("Showing the bot's live list (the archive is not available yet): search covers names only."),
    **{f"type_{kind}": label for kind, label in MESSAGE_TYPE_LABELS.items()},
    "recalled_by": _l("Recalled by {name} at {time}"),
    "group_left": _l("Left"),
    "group_left_removed": _l("The bot was removed from this group"),
    "group_left_dissolved": _l("This group was dissolved"),
    "group_left_operator": _l("Marked as left by an operator"),
    "download": _l("Download"),
    # messages.media_status (models.message.MEDIA_SKIPPED): why the archive did not keep a message's media
    "media_skipped_too_large": _l("Media skipped: too large"),
    "media_skipped_disk_low": _l("Media skipped: disk low"),
    "media_skipped_budget": _l("Media skipped: daily budget"),
    "media_skipped_not_fetched": _l("Media not fetched"),  # wechat/archive_media.MEDIA_NOT_FETCHED (seam drivers)
    "me": _l("Me"),
    "marked_read": _l("All messages marked as read."),
    "pick_recipients": _l("Pick at least one recipient."),
    "nothing_to_send": _l("Write a text or add a file."),
    "uploading": _l("Uploading…"),
    "upload_failed": _l("Upload failed"),
    "job_pending": _l("Waiting"),
    "job_running": _l("Sending"),
    "job_done": _l("Done"),
    "job_cancelled": _l("Cancelled"),
    "job_failed": _l("Failed"),
    "job_progress": _l("{sent} of {total} sent, {failed} failed"),
    "job_uncertain": _l("{uncertain} interrupted while sending: they may or may not have arrived, and are not "
                        "sent again by themselves."),
    "job_resend_confirm": _l("Send those again? Some recipients may get the message twice."),
    "job_cancel_confirm": _l("Stop sending? Messages already sent stay sent."),
    "sync_started": _l("Sync started."),
    "sync_progress": _l("{kind}: {done} of {total}"),
    "sync_done": _l("Sync finished: {kind}."),
    "group_members_of": _l("Members of {name}"),
    "token_created": _l("Copy the token now: it is shown only once."),
    "token_revoke_confirm": _l("Revoke the token “{name}”? Programs using it lose access at once."),
    "revoked": _l("Revoked"),
    "active": _l("Active"),
    "token_active": _l("Active"),
    "token_revoked": _l("Revoked"),
    "token_expired": _l("Expired"),
    "token_superseded": _l("Ended by a password change or sign-out"),
    "scope_admin": _l("Full access"),
    "scope_read": _l("Read only"),
    "scope_metrics": _l("Metrics only"),
    "expires": _l("Expires"),
    "deactivate": _l("Deactivate"),
    "activate": _l("Activate"),
    "admin_deactivate_confirm": _l("Deactivate “{name}”? Their sessions and API tokens end at once."),
    "sign_out_everywhere": _l("Sign out everywhere"),
    "sign_out_everywhere_confirm": _l("Sign out everywhere? Every session and API token of yours ends, this one too."),
    "never": _l("Never"),
    "password_changed": _l("Password changed."),
    "delete": _l("Delete"),
    "enabled": _l("Enabled"),
    "disabled": _l("Disabled"),
    "add_row": _l("Add"),
    "keyword": _l("Keyword"),
    "group_name_template": _l("Group name template"),
    "mp": _l("Official account"),
    "group_puids": _l("Groups (puids, comma-separated)"),
    "relay_set": _l("Groups relayed to each other (puids, comma-separated)"),
    "blacklist_added": _l("Added to the blacklist."),
    "recipients_count": _l("{n} recipients"),
    "search_members": _l("Search members"),
    "not_owner_hint": _l("The bot does not own this group: only the owner can remove members."),
    "chat": _l("Chat"),
    "sender": _l("Sender"),
    "filter_chat": _l("Show only this chat"),
    "filter_sender": _l("Show only this sender"),
    "no_messages": _l("No messages match these filters."),
    "no_contacts": _l("No contacts yet. Log in to WeChat, then sync."),
    "no_groups": _l("No groups yet. Log in to WeChat, then sync."),
    "no_mps": _l("The bot follows no official accounts yet."),
    "no_plugins": _l("No plugins are installed."),
    "no_schedules": _l("No scheduled messages yet."),
    "no_tokens": _l("No API tokens yet."),
    "blacklist_empty": _l("Nobody is blacklisted."),
    "pick_group": _l("Pick a group to see its members."),
    "articles": _l("Articles"),
    "send": _l("Send"),
    "send_message": _l("Send a message"),
    "create_group": _l("Create a group"),
    "clear_selection": _l("Clear"),
    "selection": _l("Selection"),
    "last_login": _l("Last sign-in"),
    "last_used": _l("Last used"),
    "revoke": _l("Revoke"),
    "copied": _l("Copied."),
}


def js_strings() -> dict[str, str]:
    return {key: str(value) for key, value in JS_STRINGS.items()}


def init_i18n(app: Flask) -> None:
    app.config.setdefault("DEFAULT_LANGUAGE", DEFAULT_LANGUAGE)
    babel.init_app(app, default_locale=app.config["DEFAULT_LANGUAGE"],
                   default_timezone=app.config.get("TIMEZONE", "Asia/Shanghai"),
                   locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def i18n_context() -> dict:
        return {"html_lang": html_lang(), "languages": LANGUAGES, "current_language": current_language(),
                "js_strings": js_strings}
