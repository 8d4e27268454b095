"""Vote-kick: the command members type, and counting votes per (group, target) with expiry.

Each target has its own voter set (a Redis SET per group and target): a member votes once per target, and may vote
on other targets too. (The reference implementation kept one voter set for every target, so a member could vote
only once overall.) The set expires `period` after its first vote; adding a voter and counting is one atomic Lua
script, so concurrent votes cannot both be "the one that reached the quorum".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from libs.text_limits import too_long_for_command

# Only the verb is a pattern; the rest is plain string work. (The whole command as one pattern,
# `\s*@(.+?)[\s\u2005]*$`, backtracked quadratically: "kick @a" + 40,000 spaces + "b" cost seconds, and it runs on
# every group text.)
_VERB = re.compile(r"移出|移除|踢出|T|kick", re.IGNORECASE)


def parse_kick(text: str) -> str | None:
    """The name in "踢出 @name" (also 移出, 移除, T, kick), or None when the text is not a kick command.

    Linear in the length of the text, and text longer than any command is not parsed at all."""
    if not text or too_long_for_command(text):
        return None
    text = text.lstrip()  # str.isspace covers WeChat's U+2005 after an @-mention, like \s does
    verb = _VERB.match(text)
    if verb is None:
        return None
    rest = text[verb.end():].lstrip()
    if not rest.startswith("@"):
        return None
    return rest[1:].strip() or None


class VoteStore(Protocol):
    def add(self, key: str, voter: str, ttl_seconds: int) -> tuple[bool, int]:
        """Add a voter to the set at key (starting its TTL when new); return (newly added, voters now)."""

    def clear(self, key: str) -> None: ...


@dataclass(frozen=True)
class Vote:
    counted: bool  # False when this voter had already voted on this target (in the current period)
    current: int
    total: int
    reached: bool  # True for exactly one vote: the one that made the count reach the quorum


class VoteKick:
    def __init__(self, store: VoteStore, quorum: int, period_minutes: int, prefix: str = "kick") -> None:
        if quorum < 2:
            raise ValueError("a vote-kick needs a quorum of at least 2")
        self.store = store
        self.quorum = quorum
        self.ttl = period_minutes * 60
        self.prefix = prefix

    def key(self, group: str, target: str) -> str:
        return f"{self.prefix}:{group}:{target}"

    def vote(self, group: str, target: str, voter: str) -> Vote:
        added, current = self.store.add(self.key(group, target), voter, self.ttl)
        return Vote(counted=added, current=current, total=self.quorum, reached=added and current == self.quorum)

    def reset(self, group: str, target: str) -> None:
        """Forget the votes on a target (after the kick, so a later return starts from zero)."""
        self.store.clear(self.key(group, target))


_ADD_SCRIPT = """
local added = redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {added, redis.call('SCARD', KEYS[1])}
"""


class RedisVoteStore:
    def __init__(self, client, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._add = client.register_script(_ADD_SCRIPT)

    def add(self, key: str, voter: str, ttl_seconds: int) -> tuple[bool, int]:
        added, count = self._add(keys=[f"{self.namespace}:{key}"], args=[voter, ttl_seconds])
        return bool(added), int(count)

    def clear(self, key: str) -> None:
        self.client.delete(f"{self.namespace}:{key}")
