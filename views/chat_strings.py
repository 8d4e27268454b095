"""Strings of the Conversations page's JavaScript (static/js/pages/chats.js), merged into the page strings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHAT_STRINGS = {
    "chats_empty": _l("No conversations yet. Messages appear here as they arrive."),
    "chats_none_found": _l("No chat matches this search."),
    "pick_chat": _l("Pick a chat on the left to read and answer it."),
    "history_start": _l("The beginning of the archived history"),
    "load_older": _l("Load older messages"),
    "msg_sending": _l("Sending…"),
    "msg_sent": _l("Sent"),
    "msg_failed": _l("Failed ({reason})"),
    "recalled": _l("Recalled"),
    "media_too_large": _l("Media not stored: the file is larger than the archive's limit"),
    "media_disk_low": _l("Media not stored: the disk was nearly full"),
    "media_budget": _l("Media not stored: the daily media budget was used up"),
    "open_link": _l("Open the link"),
    "pinned": _l("Pinned"),
    "pin_chat": _l("Pin to top"),
    "unpin_chat": _l("Unpin"),
    "mention": _l("Mention a member"),
    "mention_search": _l("Member name…"),
    "no_members": _l("No member matches."),
    "emoji": _l("Emoji"),
    "attach": _l("Attach images or files"),
    "new_below": _l("New messages below"),
    "unread_n": _l("{n} unread"),
    "image_viewer": _l("Image"),
    "members_n": _l("{n} members"),
    "no_text": _l("(no text)"),
}
