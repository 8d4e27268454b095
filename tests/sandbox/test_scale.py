"""A big world: 10,000 friends and 200 groups of 500 members listed through wxpy within seconds."""

from __future__ import annotations

import time

import psutil


def test_ten_thousand_friends_and_two_hundred_full_groups(sandbox, bots):
    sandbox.reset(friends=10_000, groups=200, members=500, mps=20, seed=7,
                  saved_groups=1.0)  # an account that saved every group to contacts
    started = time.perf_counter()
    bot = bots.login()  # includes the paged webwxgetcontact
    listed = time.perf_counter() - started
    names = [g.user_name for g in bot.groups()]
    for i in range(0, len(names), 50):  # batch member fetch, 50 groups a request
        bot.core.update_chatroom(names[i: i + 50])
    total = time.perf_counter() - started
    members = sum(len(g.members) for g in bot.groups())
    rss = psutil.Process(sandbox.process.pid).memory_info().rss / 2**20
    print(f"\nlogin + contact pages: {listed:.2f}s; + 200 groups' members: {total:.2f}s; "
          f"sandbox RSS {rss:.0f} MiB")
    assert len(bot.except_self(bot.friends())) == 10_000 and len(bot.groups()) == 200
    assert members == 200 * 500
    assert total < 60
