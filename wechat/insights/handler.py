"""The bot-side feed of membership events: join and removal notes in groups (system messages, type 10000).

Runs after the archive has stored the batch (priority 20 > the archive's 0), once per note; notes are rare, so
one small commit each is fine.
"""

from __future__ import annotations

from datetime import UTC, datetime

from extensions import db
from wechat.dispatch import BotContext, event_handler, message_handler
from wechat.insights.events import note_changes, record_changes
from wechat.insights.notes import membership_changes


@message_handler("insights.membership_notes", priority=20)
def membership_note(msg, ctx: BotContext) -> None:
    raw = msg.raw
    if raw.get("MsgType") != 10000:
        return
    chat = ctx.directory().chat(raw.get("FromUserName") or "", lambda: msg.chat)
    if chat.kind != "group" or not chat.puid:
        return
    found = membership_changes(msg.text if isinstance(msg.text, str) else "")
    if found is None:
        return
    kind, names = found
    created = int(raw.get("CreateTime") or 0)
    at = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    record_changes(ctx.account_id(), note_changes(chat.puid, kind, names, at))
    db.session.commit()


@event_handler("insights.membership_notes")
def membership_note_event(event, ctx: BotContext) -> None:
    """A seam driver's group note: the same parser on the note's text (the wxpy side reads the same text)."""
    from drivers.types import GroupNoteEvent

    if not isinstance(event, GroupNoteEvent) or not event.group_id:
        return
    found = membership_changes(event.text or "")
    if found is None:
        return
    kind, names = found
    at = datetime.fromtimestamp(event.create_time, UTC) if event.create_time else datetime.now(UTC)
    record_changes(ctx.account_id(), note_changes(event.group_id, kind, names, at))
    db.session.commit()
