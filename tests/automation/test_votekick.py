"""Vote counting: one vote per member per target, quorum reached exactly once, expiry; the Redis store."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wechat.automation.votekick import RedisVoteStore, VoteKick


class MemoryStore:
    """The VoteStore contract in memory, with a settable clock for expiry."""

    def __init__(self) -> None:
        self.sets: dict[str, tuple[float, set[str]]] = {}
        self.now = 0.0

    def add(self, key, voter, ttl_seconds):
        expires, voters = self.sets.get(key, (0.0, set()))
        if expires <= self.now:
            expires, voters = self.now + ttl_seconds, set()
        added = voter not in voters
        voters.add(voter)
        self.sets[key] = (expires, voters)
        return added, len(voters)

    def clear(self, key):
        self.sets.pop(key, None)


votes_strategy = st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.sampled_from("pqrstuvw")),
                          max_size=60)


@given(votes_strategy, st.integers(2, 6))
def test_each_member_counts_once_per_target_and_quorum_fires_once(votes, quorum):
    kick = VoteKick(MemoryStore(), quorum, 10)
    voters: dict[tuple[str, str], set[str]] = {}
    reached: list[tuple[str, str]] = []
    for group, target, voter in votes:
        result = kick.vote(group, target, voter)
        seen = voters.setdefault((group, target), set())
        assert result.counted == (voter not in seen)
        seen.add(voter)
        assert result.current == len(seen) and result.total == quorum
        if result.reached:
            reached.append((group, target))
    expected = [key for key, seen in voters.items() if len(seen) >= quorum]
    assert sorted(reached) == sorted(expected)  # exactly once per target that got enough distinct voters


def test_a_voter_may_vote_on_several_targets():
    """The reference implementation kept one voter set for all targets; here each target has its own."""
    kick = VoteKick(MemoryStore(), 2, 10)
    assert kick.vote("g", "x", "p").counted
    assert kick.vote("g", "y", "p").counted
    assert kick.vote("g2", "x", "p").counted


def test_votes_expire_after_the_period():
    store = MemoryStore()
    kick = VoteKick(store, 3, 1)
    kick.vote("g", "x", "p")
    kick.vote("g", "x", "q")
    store.now = 61
    assert kick.vote("g", "x", "r").current == 1


def test_reset_starts_over_and_quorum_below_two_is_refused():
    kick = VoteKick(MemoryStore(), 2, 10)
    kick.vote("g", "x", "p")
    kick.reset("g", "x")
    assert kick.vote("g", "x", "p").counted
    with pytest.raises(ValueError):
        VoteKick(MemoryStore(), 1, 10)


def test_redis_store_counts_atomically_and_expires(redis_server):
    client = redis_server.client()
    client.flushall()
    kick = VoteKick(RedisVoteStore(client, "wx:test:automation"), 3, 1)
    assert [kick.vote("g", "x", v).current for v in ("p", "q", "p")] == [1, 2, 2]
    assert not kick.vote("g", "x", "p").counted
    assert kick.vote("g", "x", "r").reached
    ttl = client.ttl("wx:test:automation:kick:g:x")
    assert 0 < ttl <= 60
    kick.vote("g", "y", "p")  # a second vote does not extend the window
    client.expire("wx:test:automation:kick:g:y", 1)
    kick.vote("g", "y", "q")
    assert 0 < client.ttl("wx:test:automation:kick:g:y") <= 1
    time.sleep(1.1)
    assert kick.vote("g", "y", "q").current == 1
    kick.reset("g", "x")
    assert not client.exists("wx:test:automation:kick:g:x")
