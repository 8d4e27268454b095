"""Unread counts per chat, next to the global count of wechat/messages/notifications.py, in one Redis hash.

The archive counts each incoming message twice in the same pipeline: the global counter (the navigation badge)
and the chat's field of the hash (the chat list's badges). Marking a chat read takes its field away and lowers the
global count by as much, atomically, so the two never drift apart by a race between a new message and a click.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from redis.client import Pipeline

from wechat.bot.state import BotState
from wechat.messages.notifications import publish_unread

# KEYS: the hash, the global counter. ARGV: the chat. Returns the chat's count before (0 when it had none).
_MARK_READ = """
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n > 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  local total = tonumber(redis.call('GET', KEYS[2]) or '0')
  redis.call('SET', KEYS[2], math.max(total - n, 0))
end
return n
"""


def _hash(state: BotState) -> str:
    return state.key("unread:chats")


def queue_chat_arrivals(state: BotState, pipe: Pipeline, chats: Iterable[str]) -> None:
    """Queue +1 per incoming message on its chat's count (`chats`: each message's chat puid)."""
    for chat, count in Counter(c for c in chats if c).items():
        pipe.hincrby(_hash(state), chat, count)


def chat_unread(state: BotState) -> dict[str, int]:
    """{chat puid: unread count} for the chats that have unread messages."""
    raw = state.client.hgetall(_hash(state))
    return {key.decode(): int(value) for key, value in raw.items() if int(value) > 0}


def mark_read(state: BotState, chat: str) -> int:
    """Mark one chat read; returns how many messages were unread in it. Browsers hear the new global count."""
    cleared = int(state.client.eval(_MARK_READ, 2, _hash(state), state.key("unread"), chat))
    if cleared:
        publish_unread(state)
    return cleared


def clear_all(state: BotState) -> None:
    """Forget every chat's count (the global "mark all read")."""
    state.client.delete(_hash(state))
