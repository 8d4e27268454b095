"""The indexed puid map gives the same puids as wxpy's own, across logins (new UserNames each time)."""

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from wxpy.utils.puid_map import PuidMap

from drivers.itchat.puid_map import IndexedPuidMap


@dataclass
class FakeChat:
    """The attributes PuidMap reads from a wxpy Chat."""

    user_name: str
    nick_name: str
    wxid: str | None
    remark_name: str | None
    sex: int | None
    province: str | None
    city: str | None


people = st.lists(st.tuples(st.sampled_from(["张三", "李四", "Ann", "Ann", "😀"]), st.sampled_from([0, 1, 2]),
                            st.sampled_from(["", "北京", "上海"]), st.sampled_from([None, "", "r1", "r2"])),
                  min_size=1, max_size=12)


def outcome(puid_map, chat):
    """The puid, or the error: wxpy itself fails on some inputs, and ours must fail the same way there."""
    try:
        return puid_map.get_puid(chat)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__


@settings(max_examples=200, deadline=None)
@given(people, st.integers(1, 3))
def test_same_puids_as_wxpy(tmp_path_factory, population, sessions):
    folder = tmp_path_factory.mktemp("puid")
    theirs, ours = PuidMap(str(folder / "a.pkl")), IndexedPuidMap(str(folder / "b.pkl"))
    for session in range(sessions):
        for index, (nick, sex, province, remark) in enumerate(population):
            user_name = f"@{session:02d}{index:030x}"
            chat = FakeChat(user_name, nick, None, remark, sex, province, province)
            assert outcome(ours, chat) == outcome(theirs, chat), (session, index)


def test_reload_keeps_the_index(tmp_path):
    first = IndexedPuidMap(str(tmp_path / "p.pkl"))
    puid = first.get_puid(FakeChat("@aaaaaaaa11111111", "张三", None, None, 1, "北京", "北京"))
    first.dump()
    again = IndexedPuidMap(str(tmp_path / "p.pkl"))
    assert again.get_puid(FakeChat("@bbbbbbbb22222222", "张三", None, None, 1, "北京", "北京")) == puid


def test_alias_keys_the_puid_across_logins_and_renames(tmp_path):
    """Real contact lists carry Alias (the WeChat id) for most people: the puid follows it, so a friend who renames
    themself between two logins keeps their puid (and their archive, memberships, blacklist entry)."""
    import secrets

    puid_map = IndexedPuidMap(str(tmp_path / "puids.pkl"))
    name = lambda: "@" + secrets.token_hex(32)  # noqa: E731 - 64 hex, as real UserNames
    first = puid_map.get_puid(FakeChat(name(), "张三", "wxid_abc", None, 1, "北京", ""))
    renamed = puid_map.get_puid(FakeChat(name(), "张三丰", "wxid_abc", None, 1, "北京", ""))
    namesake = puid_map.get_puid(FakeChat(name(), "张三丰", "wxid_def", None, 1, "北京", ""))
    assert renamed == first
    assert namesake != first  # before: the same puid (wxpy matched the caption), two people merged into one
