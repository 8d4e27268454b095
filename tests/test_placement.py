"""wechat/workers/placement.py over many shapes: every worker applying the same rule reaches a placement where every
account runs, nobody exceeds its cap, nobody holds more than ceil(N/W)+1 while another has room, and a dead worker's
accounts (leases expired) are taken by the others."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from wechat.workers.placement import fair_share, place


def converge(accounts: list[str], caps: dict[str, int], holders: dict[str, str | None], seed: int,
             simultaneous: bool, rounds: int = 30) -> dict[str, str | None]:
    """Ticks of every live worker, in a shuffled order; with `simultaneous`, all decide on the same snapshot
    (the lease then lets the first taker win, as Redis does)."""
    rng = random.Random(seed)
    holders = dict(holders)
    for _ in range(rounds):
        order = list(caps)
        rng.shuffle(order)
        snapshot = dict(holders)
        for worker in order:
            decision = place(worker, accounts, caps, snapshot if simultaneous else holders)
            for account in decision.release:
                if holders.get(account) == worker:
                    holders[account] = None
            apply_takes(worker, decision, holders)
    return holders


def apply_takes(worker: str, decision, holders: dict[str, str | None]) -> int:
    """What the placer does with a decision: launch `take`, and for each one another worker launched first the next
    of `spare` (wechat/workers/placer.py). How many it launched."""
    to_launch, launched = len(decision.take), 0
    for account in [*decision.take, *decision.spare]:
        if launched == to_launch:
            break
        if not holders.get(account):
            holders[account] = worker
            launched += 1
    return launched


def check(accounts: list[str], caps: dict[str, int], holders: dict[str, str | None]) -> None:
    counts = {worker: sum(1 for a in accounts if holders.get(a) == worker) for worker in caps}
    share = fair_share(len(accounts), len(caps))
    total_cap = sum(caps.values())
    running = sum(counts.values())
    assert running == min(len(accounts), total_cap), (counts, caps)
    for worker, count in counts.items():
        assert count <= caps[worker], (worker, counts, caps)
        has_room = [w for w in caps if w != worker and counts[w] < min(caps[w], share)]
        if has_room:
            assert count <= share + 1, (worker, counts, caps, share)


shapes = st.tuples(st.integers(0, 60), st.lists(st.integers(0, 40), min_size=1, max_size=7), st.integers(0, 10**6))


@settings(max_examples=150, deadline=None)
@given(shapes, st.booleans())
def test_from_nothing_every_account_runs_within_caps_and_fair_share(shape, simultaneous):
    n, caps_list, seed = shape
    accounts = [f"acct{i}" for i in range(n)]
    caps = {f"w{i}": cap for i, cap in enumerate(caps_list)}
    check(accounts, caps, converge(accounts, caps, {}, seed, simultaneous))


@settings(max_examples=100, deadline=None)
@given(shapes, st.booleans())
def test_a_new_worker_gets_a_fair_share(shape, simultaneous):
    n, caps_list, seed = shape
    accounts = [f"acct{i}" for i in range(n)]
    caps = {f"w{i}": cap for i, cap in enumerate(caps_list)}
    holders = converge(accounts, caps, {}, seed, simultaneous)
    caps["newcomer"] = 50
    share = fair_share(n, len(caps))
    crowded = any(sum(1 for a in accounts if holders.get(a) == w) > share for w in caps)
    holders = converge(accounts, caps, holders, seed + 1, simultaneous)
    check(accounts, caps, holders)
    if crowded:  # someone held more than the new share: some of it moved to the newcomer
        assert any(holder == "newcomer" for holder in holders.values())


@settings(max_examples=100, deadline=None)
@given(shapes, st.booleans())
def test_a_dead_workers_accounts_are_taken_once_its_leases_expire(shape, simultaneous):
    n, caps_list, seed = shape
    accounts = [f"acct{i}" for i in range(n)]
    caps = {f"w{i}": cap for i, cap in enumerate(caps_list)}
    caps["doomed"] = 10
    holders = converge(accounts, caps, {}, seed, simultaneous)
    del caps["doomed"]
    # Before the leases expire its accounts are still held: nobody takes them.
    early = place("w0", accounts, caps, holders)
    assert not set(early.take) & {a for a, h in holders.items() if h == "doomed"}
    expired = {a: (None if h == "doomed" else h) for a, h in holders.items()}
    check(accounts, caps, converge(accounts, caps, expired, seed + 2, simultaneous))


def test_rebalance_hands_over_the_excess_to_the_newcomer():
    accounts = [f"a{i}" for i in range(10)]
    holders = {a: "old" for a in accounts}
    decision = place("old", accounts, {"old": 20, "new": 20}, holders)
    assert len(decision.release) == 5 and not decision.take
    # The newcomer takes nothing until they are free, then its share.
    assert place("new", accounts, {"old": 20, "new": 20}, holders).take == []
    freed = {a: (None if a in decision.release else "old") for a in accounts}
    assert sorted(place("new", accounts, {"old": 20, "new": 20}, freed).take) == sorted(decision.release)


def test_no_hand_over_to_workers_without_room_and_the_cap_always_holds():
    accounts = [f"a{i}" for i in range(6)]
    holders = {a: "big" for a in accounts}
    assert place("big", accounts, {"big": 10, "full": 0}, holders).release == []
    assert len(place("big", accounts, {"big": 4}, holders).release) == 2


def test_a_removed_account_is_handed_over():
    decision = place("w", ["a"], {"w": 5}, {"a": "w", "gone": "w"})
    assert decision.release == ["gone"] and decision.take == []


def test_a_single_default_account_runs_on_one_of_several_workers():
    holders = converge(["default"], {"w1": 50, "w2": 50, "w3": 50}, {}, 1, simultaneous=True)
    assert holders["default"] in {"w1", "w2", "w3"}


@settings(max_examples=100, deadline=None)
@given(shapes)
def test_survivors_deciding_at_once_take_a_dead_workers_accounts_in_one_tick(shape):
    """Every survivor reaches for its own top-ranked free accounts on the same snapshot; where two reach for the same
    one the loser launches its next spare, so nothing waits a placement period for a race it lost."""
    n, caps_list, seed = shape
    accounts = [f"acct{i}" for i in range(n)]
    caps = {f"w{i}": 50 for i in range(len(caps_list))}
    caps["doomed"] = 50
    holders = converge(accounts, caps, {}, seed, simultaneous=True)
    del caps["doomed"]
    holders = {a: (None if h == "doomed" else h) for a, h in holders.items()}
    snapshot = dict(holders)
    for worker in random.Random(seed).sample(sorted(caps), len(caps)):
        apply_takes(worker, place(worker, accounts, caps, snapshot), holders)
    check(accounts, caps, holders)


def test_spare_is_the_rest_of_the_free_accounts_in_the_same_order():
    accounts = [f"acct{i}" for i in range(10)]
    decision = place("w0", accounts, {"w0": 4, "w1": 10}, {})
    assert len(decision.take) == 4 and set(decision.take) | set(decision.spare) == set(accounts)
    assert not set(decision.take) & set(decision.spare)
    full = place("w0", accounts, {"w0": 4, "w1": 10}, {a: "w0" for a in accounts[:4]})
    assert full.take == [] and full.spare == []  # no room: nothing to try
