"""The chat directory takes the lists the sync made: the first message after a sync lists nothing again."""

from __future__ import annotations

from collections import Counter

from drivers.types import Contact, ContactKind, Group, Member, SelfInfo
from wechat.bot import snapshot
from wechat.bot.seam import directory_of


class ListingDriver:
    """A driver's listing side, counting every listing it is asked for (what costs a gateway round trip)."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def self_info(self) -> SelfInfo:
        return SelfInfo("wxid_me", "Bot")

    def friends(self) -> list[Contact]:
        self.calls["friends"] += 1
        return [Contact("wxid_f1", "Friend One"), Contact("wxid_f2", "Friend Two", remark_name="Two")]

    def mps(self) -> list[Contact]:
        self.calls["mps"] += 1
        return [Contact("gh_news", "News", kind=ContactKind.MP)]

    def groups(self) -> list[Group]:
        self.calls["groups"] += 1
        return [Group("1@chatroom", "Python 1群"), Group("2@chatroom", "Python 2群")]

    def group_members(self, group_id: str) -> list[Member]:
        self.calls[f"members {group_id}"] += 1
        return [Member("wxid_me", "Bot"), Member(f"wxid_m_{group_id}", "Member", display_name="群名片")]


def test_a_full_sync_leaves_the_directory_nothing_to_list():
    driver = ListingDriver()
    snapshot.refresh(driver)
    snapshot.friends(driver)
    snapshot.mps(driver)
    fresh = snapshot.groups(driver)
    assert set(fresh) == {"1@chatroom", "2@chatroom"}
    listed = Counter(driver.calls)

    directory = directory_of(driver)
    assert directory.chat("wxid_f2").name == "Two"
    assert directory.chat("gh_news").kind == "mp"
    assert directory.chat("2@chatroom", is_group=True).name == "Python 2群"
    assert directory.member_name("1@chatroom", "wxid_m_1@chatroom") == "群名片"
    assert directory.group("1@chatroom").name == "Python 1群"
    assert driver.calls == listed  # nothing listed a second time


def test_a_partial_sync_does_not_pass_for_a_listing():
    driver = ListingDriver()
    snapshot.refresh(driver)
    snapshot.friends(driver)  # a contacts-only sync: the directory must still list groups and MPs itself
    assert directory_of(driver).chat("gh_news").kind == "mp"
    assert driver.calls["friends"] == 2 and driver.calls["mps"] == 1 and driver.calls["groups"] == 1


def test_forget_drops_half_learned_lists():
    driver = ListingDriver()
    directory = directory_of(driver)
    directory.learned("friends", driver.friends())
    directory.learned("mps", driver.mps())
    directory.forget()  # e.g. a command added a friend between the listings
    directory.learned("groups", driver.groups())
    directory.chat("wxid_f1")
    assert driver.calls["friends"] == 2  # the directory listed again instead of trusting the old friends list


def test_an_unknown_chat_right_after_a_sync_still_lists_once():
    """A group no list showed speaks right after the sync: its name is in the driver's lists by now."""
    driver = ListingDriver()
    snapshot.refresh(driver)
    snapshot.friends(driver)
    snapshot.mps(driver)
    snapshot.groups(driver)
    directory = directory_of(driver)
    driver.groups = lambda: [Group("1@chatroom", "Python 1群"), Group("9@chatroom", "刚说话的群")]
    assert directory.chat("9@chatroom", is_group=True).name == "刚说话的群"
    listed = driver.calls["friends"]
    assert directory.chat("8@chatroom", is_group=True).name == ""  # unknown again: not another listing so soon
    assert driver.calls["friends"] == listed


def test_a_list_begun_before_a_command_changed_the_lists_is_not_installed():
    """A sync lists the friends while a command accepts a new one (and forgets the lists): the sync's friends, taken
    before, lack the new friend. Installed, they would hide it from every command until a miss may list again."""
    driver = ListingDriver()
    snapshot.refresh(driver)
    directory = directory_of(driver)
    before = directory.generation()
    stale_friends = driver.friends()  # the sync's listing, begun before the accept
    real = driver.friends
    driver.friends = lambda: [*real(), Contact("wxid_new", "新朋友")]
    directory.forget()  # accept_friend
    assert directory.chat("wxid_new").name == "新朋友"  # the accept's own look-up lists
    directory.learned("friends", stale_friends, before)  # then the sync hands its lists over
    directory.learned("mps", driver.mps(), before)
    directory.learned("groups", driver.groups(), before)
    assert directory.chat("wxid_new").name == "新朋友"  # still known: the stale lists were dropped
