"""The bot-side feed of membership events: join and removal notes in groups (system messages, type 10000).

Runs after the archive has stored the batch (priority 20 > the archive's 0), once per note; notes are rare, so
one small commit each is fine.
"""

from __future__ import annotations

from datetime import UTC, datetime

from drivers.types import GroupNoteEvent
from extensions import db
from wechat.bot.dispatch import BotContext, message_handler
from wechat.insights.events import note_changes, record_changes
from wechat.insights.notes import membership_changes


@message_handler("insights.membership_notes", priority=20)
def membership_note(event, ctx: BotContext) -> None:
    """A group note (drivers.types.GroupNoteEvent): join and removal notes parsed from its text."""
    if not isinstance(event, GroupNoteEvent) or not event.group_id:
        return
    found = membership_changes(event.text or "")
    if found is None:
        return
    kind, names = found
    at = datetime.fromtimestamp(event.create_time, UTC) if event.create_time else datetime.now(UTC)
    record_changes(ctx.account_id(), note_changes(event.group_id, kind, names, at))
    db.session.commit()
