"""Which accounts a worker runs: a plain function over what Redis says (no I/O here; wechat/workers/placer.py feeds it).

Inputs: the accounts that should run (not paused), the live workers (their heartbeats, each with its cap) and who
holds which account's lease. Output for one worker: the free accounts it should try to take, and the accounts it
should hand over. Every worker runs the same function on the same facts, so they agree without talking:

- any worker may take any free account, up to its cap (WORKER_MAX_ACCOUNTS);
- fair share: a worker takes at most ceil(N/W) while another live worker still has room below that share; only
  when nobody else has room does it go on up to its cap (workers with smaller caps);
- a worker holding more than its share while others have room hands the excess over (at most as many as the
  others can take), so a new worker gets a fair share; a worker never holds more than its cap;
- a dead worker's accounts stay held until their leases expire, then they are free like any other.
Free accounts are ranked per worker by rendezvous hashing, so workers reaching for free accounts at the same moment
mostly reach for different ones (the lease decides the rest). The free accounts past a worker's `take` come back as
`spare`, in the same order: when another worker launched one of `take` first, the worker launches the next spare
instead in the same tick, rather than a placement period later (a dead worker's accounts are free all at once).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decision:
    take: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    spare: list[str] = field(default_factory=list)  # free accounts to try, in order, for any of `take` lost to a race


def rank(worker: str, account: str) -> int:
    """This worker's preference for an account (higher first): stable, and different for every worker."""
    return int.from_bytes(hashlib.sha1(f"{worker}\0{account}".encode()).digest()[:8], "big")


def fair_share(accounts: int, workers: int) -> int:
    return math.ceil(accounts / workers) if workers else 0


def place(me: str, accounts: Iterable[str], workers: Mapping[str, int], holders: Mapping[str, str | None]) -> Decision:
    """What `me` should take and hand over.

    `accounts`: the accounts that should run; `workers`: live worker name → cap (me included); `holders`: account →
    the worker holding its lease (a dead worker's name while its lease has not expired yet), None or absent: free.
    """
    wanted = sorted(set(accounts))
    live = dict(workers)
    live.setdefault(me, 0)
    held: dict[str, list[str]] = {name: [] for name in live}
    for account in wanted:
        holder = holders.get(account)
        if holder in held:
            held[holder].append(account)
    mine = held[me]
    # Accounts this worker runs that should not run any more (removed): always handed over.
    gone = sorted(account for account, holder in holders.items() if holder == me and account not in set(wanted))
    cap = max(0, live[me])
    share = fair_share(len(wanted), len(live))

    def limit(name: str) -> int:
        return min(max(0, live[name]), share)

    room = {name: max(0, limit(name) - len(held[name])) for name in live if name != me}
    others_room = sum(room.values())
    free = [account for account in wanted if not holders.get(account)]
    if len(mine) > cap:  # the cap went down: hand over the excess even if nobody can take it now
        excess = len(mine) - cap
        return Decision([], gone + _least_wanted(me, mine, excess))
    if len(mine) > share and others_room:
        excess = min(len(mine) - share, others_room)
        return Decision([], gone + _least_wanted(me, mine, excess))
    target = limit(me) if others_room else cap
    wanted_now = max(0, target - len(mine))
    ranked = sorted(free, key=lambda account: rank(me, account), reverse=True)
    return Decision(ranked[:wanted_now], gone, ranked[wanted_now:] if wanted_now else [])


def _least_wanted(me: str, mine: list[str], count: int) -> list[str]:
    return sorted(mine, key=lambda account: rank(me, account))[:count]
