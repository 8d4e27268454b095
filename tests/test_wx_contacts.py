"""drivers/itchat/contacts.merge_people must leave itchat's lists exactly as itchat's own update_local_friends would."""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.itchat.contacts import merge_people

USER_NAMES = st.sampled_from([f"@u{n}" for n in range(12)])
NAMES = st.one_of(st.just(""), st.text(max_size=6),
                  st.sampled_from(["<span class=\"emoji emoji1f600\"></span>", "😀 a", "x"]))  # always text
VALUES = st.one_of(st.none(), st.just("0"), st.just(0), NAMES)
CONTACT = st.fixed_dictionaries(
    {"UserName": USER_NAMES, "VerifyFlag": st.sampled_from([0, 8, 24])},
    optional={"NickName": NAMES, "RemarkName": VALUES, "DisplayName": NAMES, "City": VALUES,
              "Sex": st.sampled_from([0, 1, 2]), "MemberList": st.just([])})


def fake_core(members: list[dict], mps: list[dict]):
    return SimpleNamespace(memberList=members, mpList=mps, storageClass=SimpleNamespace(updateLock=threading.Lock()))


@settings(max_examples=300, deadline=None)
@given(st.lists(CONTACT, max_size=8), st.lists(CONTACT, max_size=4),
       st.lists(CONTACT, max_size=10, unique_by=lambda contact: contact["UserName"]))
def test_merge_matches_itchat(members, mps, fetched):
    """Same lists for any known state and any fetched page (itchat would append a contact listed twice in one
    fetch twice; merge_people merges it: see the next test)."""
    from itchat.components.contact import update_local_friends

    theirs = fake_core(copy.deepcopy(members), copy.deepcopy(mps))
    update_local_friends(theirs, copy.deepcopy(fetched))
    ours = fake_core(copy.deepcopy(members), copy.deepcopy(mps))
    merge_people(ours, copy.deepcopy(fetched))
    assert ours.memberList == theirs.memberList
    assert ours.mpList == theirs.mpList


def test_merge_updates_in_place_and_appends_new_people_by_kind():
    known = {"UserName": "@a", "NickName": "old", "VerifyFlag": 0, "City": "Beijing"}
    core = fake_core([known], [])
    merge_people(core, [{"UserName": "@a", "NickName": "new", "City": "", "VerifyFlag": 0},
                        {"UserName": "@mp", "NickName": "News", "VerifyFlag": 24},
                        {"UserName": "@b", "NickName": "Bo", "VerifyFlag": 0}])
    assert core.memberList[0] is known and known["NickName"] == "new" and known["City"] == "Beijing"
    assert [m["UserName"] for m in core.memberList] == ["@a", "@b"]
    assert [m["UserName"] for m in core.mpList] == ["@mp"]


def test_a_contact_listed_twice_in_one_fetch_is_kept_once():
    core = fake_core([], [])
    merge_people(core, [{"UserName": "@a", "NickName": "A", "VerifyFlag": 0},
                        {"UserName": "@a", "NickName": "A2", "VerifyFlag": 0}])
    assert core.memberList == [{"UserName": "@a", "NickName": "A2", "VerifyFlag": 0}]
