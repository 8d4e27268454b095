"""The sync's and archive's plain functions, on a real (SQLite) database, without WeChat."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from drivers.itchat.events import kind_of
from extensions import db
from libs.emoji_markup import normalize_emoji
from models import Account, Contact, Group, Membership, Message
from wechat.messages.archive import EVENT_TYPES
from wechat.messages.retention import purge_expired
from wechat.sync.diff import diff_rows
from wechat.sync.store import remove_orphans, sync_groups, sync_people

rows = st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                       st.fixed_dictionaries({"name": st.text(max_size=3), "n": st.integers(0, 3)}), max_size=12)


@given(rows, rows)
def test_applying_the_diff_turns_stored_into_fresh(stored, fresh):
    diff = diff_rows(stored, fresh, ("name", "n"))
    result = {key: dict(row) for key, row in stored.items() if key not in diff.remove}
    for key in diff.insert:
        result[key] = dict(fresh[key])
    for key, changes in diff.update:
        result[key].update(changes)
    assert result == fresh
    assert diff.unchanged + len(diff.update) + len(diff.insert) == len(fresh)


def test_emoji_markup_becomes_unicode():
    assert normalize_emoji('hi<span class="emoji emoji1f604"></span>!') == "hi😄!"
    assert normalize_emoji('<span class="emoji emoji1f1e81f1f3"></span>') == "🇨🇳"
    assert normalize_emoji('<span class="emoji emoji263a"></span>') == "☺"
    assert normalize_emoji("<b>plain</b>") == "<b>plain</b>"
    assert normalize_emoji(None) == ""


def test_message_types_follow_wxpy_with_emoticons_and_notes_split_out():
    def message_type(raw: dict) -> str:  # the itchat driver's kind, stored as the archive names it
        return EVENT_TYPES[kind_of(raw).value]

    assert message_type({"Type": "Text", "MsgType": 1}) == "text"
    assert message_type({"Type": "Picture", "MsgType": 47}) == "emoticon"
    assert message_type({"Type": "Note", "MsgType": 10000}) == "system"
    assert message_type({"Type": "Attachment", "MsgType": 49}) == "attachment"
    assert message_type({"Type": "Useless"}) == "unknown"


def person(name: str, **extra) -> dict:
    return {"nick_name": name, "remark_name": "", "sex": 0, "province": "", "city": "", "signature": "", **extra}


def account() -> int:
    row = Account(puid="me", nick_name="bot")
    db.session.add(row)
    db.session.commit()
    return row.id


def contacts(account_id: int) -> dict[str, Contact]:
    return {c.puid: c for c in db.session.execute(db.select(Contact).where(Contact.account_id == account_id))
            .scalars()}


def test_friends_sync_inserts_updates_and_forgets(app):
    account_id = account()
    first = sync_people(account_id, {"a": person("A"), "b": person("B")}, "is_friend")
    assert (first.inserted, first.updated, first.removed) == (2, 0, 0)
    second = sync_people(account_id, {"a": person("A2"), "c": person("C")}, "is_friend")
    assert (second.inserted, second.updated, second.removed) == (1, 1, 1)
    stored = contacts(account_id)
    assert stored["a"].nick_name == "A2" and stored["b"].is_friend is False and stored["c"].is_friend
    assert sync_people(account_id, {"a": person("A2"), "c": person("C")}, "is_friend").updated == 0


def test_groups_sync_members_and_orphans(app):
    account_id = account()
    sync_people(account_id, {"f": person("Friend")}, "is_friend")
    group = {"puid": "g", "nick_name": "群", "is_owner": True, "owner_puid": "me", "member_count": 3,
             "members": {"f": {"nick_name": "Friend in group", "display_name": "F"},
                         "m": {"nick_name": "Member", "display_name": ""}}}
    sync_groups(account_id, {"g": group})
    stored = contacts(account_id)
    assert stored["f"].nick_name == "Friend"  # a friend's own data wins over the group's view of them
    assert stored["m"].nick_name == "Member" and not stored["m"].is_friend
    assert db.session.execute(db.select(db.func.count(Membership.id))).scalar_one() == 2
    group["members"].pop("m")
    group["nick_name"] = "新群名"
    result = sync_groups(account_id, {"g": group})
    assert result.removed == 1 and db.session.execute(db.select(Group.nick_name)).scalar_one() == "新群名"
    assert remove_orphans(account_id) == 1 and "m" not in contacts(account_id)
    # A snapshot without the group (web WeChat lists only groups saved to contacts) proves nothing: it stays.
    sync_groups(account_id, {})
    assert db.session.execute(db.select(db.func.count(Membership.id))).scalar_one() == 1
    assert db.session.execute(db.select(Group.left_at)).scalar_one() is None
    assert "f" in contacts(account_id)  # still a friend


def test_a_group_member_who_becomes_a_friend_or_mp_is_the_same_row(app):
    """The friend sync reads only friends plus the fresh puids it does not know as friends: a member-only row
    must be found (updated and flagged), not inserted a second time."""
    account_id = account()
    members = {f"m{n}": {"nick_name": f"M{n}", "display_name": ""} for n in range(3)}
    sync_groups(account_id, {"g": {"puid": "g", "nick_name": "g", "is_owner": False, "owner_puid": None,
                                   "member_count": 4, "members": members}})
    member_ids = {puid: row.id for puid, row in contacts(account_id).items()}
    result = sync_people(account_id, {"m1": person("Friend M1")}, "is_friend")
    assert (result.inserted, result.updated, result.removed) == (0, 1, 0)
    assert sync_people(account_id, {"m2": person("An MP")}, "is_mp").updated == 1
    stored = contacts(account_id)
    assert {puid: row.id for puid, row in stored.items()} == member_ids
    assert stored["m1"].is_friend and stored["m1"].nick_name == "Friend M1" and not stored["m0"].is_friend
    assert stored["m2"].is_mp and not stored["m2"].is_friend
    assert sync_people(account_id, {}, "is_friend").removed == 1 and not contacts(account_id)["m1"].is_friend


def test_retention_purges_only_old_messages(app):
    account_id = account()
    now = datetime.now(UTC)
    for index, age in enumerate((40, 10, 0)):
        db.session.add(Message(account_id=account_id, msg_id=str(index), type="text", chat_kind="friend",
                               created_at=now - timedelta(days=age)))
    db.session.commit()
    assert purge_expired(0) == 0  # 0 keeps everything
    assert purge_expired(30) == 1
    assert sorted(db.session.execute(db.select(Message.msg_id)).scalars()) == ["1", "2"]
