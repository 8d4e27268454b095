"""The per-account send lane on a real Redis: sends from several jobs at once stay a pacing delay apart."""

from __future__ import annotations

import threading
import time

from wechat.sending.lane import SendLane
from wechat.sending.pacing import Pacer

GAP = 0.15


def sends_through(lane_factory, jobs: int, per_job: int) -> list[float]:
    """Run `jobs` threads that each wait for their turn `per_job` times; the moments their sends went."""
    moments: list[float] = []
    lock = threading.Lock()

    def job() -> None:
        lane = lane_factory()
        for _ in range(per_job):
            lane.wait_turn()
            with lock:
                moments.append(time.monotonic())

    threads = [threading.Thread(target=job) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(moments)


def test_concurrent_jobs_share_one_rhythm(redis_server):
    client = redis_server.client()
    client.delete("wx:test:send_lane")
    moments = sends_through(lambda: SendLane(client, "wx:test:send_lane", Pacer(GAP, GAP)), jobs=3, per_job=4)
    assert len(moments) == 12
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]
    assert min(gaps) >= GAP - 0.02, gaps  # without the lane, three jobs send their first items together


def test_lanes_of_different_accounts_do_not_wait_for_each_other(redis_server):
    client = redis_server.client()
    client.delete("wx:a:send_lane", "wx:b:send_lane")
    first, second = (SendLane(client, f"wx:{name}:send_lane", Pacer(5, 5)) for name in "ab")
    assert first.wait_turn() == 0 and second.wait_turn() == 0  # each lane's first send goes at once


def test_a_lane_left_idle_lets_the_next_send_go_at_once(redis_server):
    client = redis_server.client()
    client.delete("wx:idle:send_lane")
    lane = SendLane(client, "wx:idle:send_lane", Pacer(0.05, 0.05))
    lane.wait_turn()
    time.sleep(0.1)
    assert lane.wait_turn() == 0
    ttl = client.ttl("wx:idle:send_lane")
    assert 0 < ttl <= 61  # the key does not outlive the lane's use by more than a minute
