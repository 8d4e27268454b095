"""Issue 17 on the gateway: the sandbox's gateway face behaves like the real gateway by default, and the padpro driver
with the neutral layer above it handles it (groups off the contact list, recalls, refused recipients, group limits,
media caps, the bot removed from a group). Each test meets today's behaviour of the face, not a friendly one."""

from __future__ import annotations

import io
import types

import pytest

from drivers.group_errors import RATE_LIMITED
from drivers.padpro import GatewayClient, PadProDriver
from drivers.types import (
    GroupLeftEvent,
    GroupLeftReason,
    GroupNoteEvent,
    LoginState,
    MessageEvent,
    RecallEvent,
    Rejected,
)
from extensions import db
from libs.uploads import save_upload, upload_root
from models import Group, Message
from models.send_job import SendJob
from tests.drivers.conftest import GATEWAY_KEY, login
from tests.drivers.test_padpro_sandbox import wait_for
from wechat.accounts import ensure_account
from wechat.bot import commands as seam_commands
from wechat.bot.builtin_handlers import mark_left_on_evidence
from wechat.bot.command_runner import CommandError
from wechat.bot.seam import directory_of
from wechat.messages.archive import event_record, store_batch
from wechat.sending.jobs import JobRunner, create_send_job
from wechat.sending.pacing import Pacer
from wechat.sync.group_presence import groups_active

MB = 1024 * 1024


def test_groups_off_the_contact_list_are_learned_from_their_messages(sandbox):
    """Item 1: the gateway lists only the groups saved to contacts; the others come with the phone's status notify
    (its recent chats, right after the login) or with their messages."""
    recent = [{"name": f"近{n}", "members": 3} for n in range(10)]  # the status notify lists ten groups
    sandbox.reset(groups=0, explicit_groups=[*recent, {"name": "远群", "members": ["甲", "乙", "丙"]},
                                             {"name": "存群", "members": 3, "saved": True}])
    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=10), http_sync_interval=3600)
    login(sandbox, driver)
    try:
        assert {g.name for g in driver.groups()} == {*(g["name"] for g in recent), "存群"}  # before any poll
        sandbox.control("messages", {"from": "乙", "group": "远群", "content": "hi"})
        event, _ = wait_for(driver, MessageEvent)
        listed = {g.name: g for g in driver.groups()}
        assert listed["远群"].id == event.chat_id  # learned, and listed (so synced) from now on
        assert [m.nick_name for m in driver.group_members(event.chat_id)][1:] == ["甲", "乙", "丙"]
        # A restarted worker: the gateway kept the session and sends no status notify again, the quiet unsaved
        # groups are on no list; a command naming one by id (from the database) still finds it.
        restarted = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=10), http_sync_interval=3600)
        try:
            assert restarted.login_state() is LoginState.LOGGED_IN
            assert "近0" not in {g.name for g in restarted.groups()}
            friend = restarted.friends()[0]
            added = seam_commands.add_members(restarted, listed["近0"].id, [friend.id])
            assert added["ok"] and "近0" in {g.name for g in restarted.groups()}  # and listed from then on
        finally:
            restarted.close()
    finally:
        driver.close()


def test_a_recall_on_the_gateway_marks_the_archived_original(app, sandbox, padpro):
    """Item 3: the gateway's revokemsg (session, 32-bit msgid, 64-bit newmsgid) → the original archived as recalled."""
    friend = sandbox.world()["friends"][0]["nick_name"]
    [sandbox_id] = sandbox.control("messages", {"from": friend, "content": "oops"})["msg_ids"]
    original, _ = wait_for(padpro, MessageEvent)
    sandbox.control("messages", {"from": friend, "type": "recall", "msg_id": sandbox_id})
    recall, _ = wait_for(padpro, RecallEvent)
    assert (recall.recalled_msg_id, recall.chat_id) == (original.msg_id, original.chat_id)

    directory = directory_of(padpro)
    me = directory.me()
    account_id = ensure_account(me.id, me.nick_name).id
    db.session.commit()
    store_batch([(original, event_record(original, directory))], account_id)
    store_batch([(recall, event_record(recall, directory))], account_id)
    row = db.session.execute(db.select(Message).where(Message.msg_id == original.msg_id)).scalar_one()
    assert (row.text, row.recalled_by) == ("oops", friend) and row.recalled_at is not None


def test_sends_to_a_non_friend_or_to_oneself_fail_with_the_reason(sandbox, padpro):
    """Item 4: like the web service's Ret 1204, and the same command error as the itchat side."""
    friends = {f.id for f in padpro.friends()}
    me = padpro.self_info().id
    stranger = next(m for g in padpro.groups() for m in padpro.group_members(g.id)
                    if m.id not in friends and m.id != me)
    before = len(sandbox.sent())
    for target in (stranger.id, me):
        with pytest.raises(Rejected) as caught:
            padpro.send_text(target, "hello")
        assert caught.value.code == 1204 and "not a friend of the bot, or the bot itself" in caught.value.message
    with pytest.raises(CommandError) as refused:
        seam_commands.send_message(padpro, stranger.id, "hello")
    assert refused.value.code == "not_reachable"  # a bulk send reports this recipient as failed, with the reason
    assert len(sandbox.sent()) == before


class Killed(BaseException):
    """The worker dies mid-request (SIGKILL): no handler runs, nothing after the request is committed."""


def test_a_bulk_send_on_the_gateway_is_at_most_once_and_reports_refused_recipients(app, sandbox, padpro):
    """Items 2 and 4 through a send job: the gateway has no ClientMsgId, so an item whose request went out when the
    worker died is "uncertain" (not resent when the job resumes); a group member who is not a friend fails with
    WeChat's reason."""
    friends = padpro.friends()[:3]
    known = {f.id for f in padpro.friends()} | {padpro.self_info().id}
    stranger = next(m for g in padpro.groups() for m in padpro.group_members(g.id) if m.id not in known)
    job = create_send_job([friends[0].id, stranger.id, friends[1].id, friends[2].id], "至多一次", [],
                          created_by="root")
    db.session.commit()
    real_send = padpro.send_text

    def dies_after_delivering(to_id, text, mentions=()):
        result = real_send(to_id, text, mentions)  # the gateway took it...
        if to_id == friends[1].id:
            raise Killed  # ...and the worker died before hearing the answer
        return result

    def runner() -> JobRunner:
        return JobRunner(job.id, lambda to, text, files, msg_ids: seam_commands.send_message(padpro, to, text, files),
                         lambda upload: upload, Pacer(0, 0, sleep=lambda s: None), backoff_base=0)

    padpro.send_text = dies_after_delivering
    try:
        runner().run()
    except Killed:
        db.session.rollback()
    del padpro.send_text
    assert runner().run() == "done"

    delivered = [e["to"] for e in sandbox.sent() if e["kind"] == "text"]
    assert sorted(delivered) == sorted(f.nick_name for f in friends)  # each once: the resumed job sent none again
    db.session.expire_all()
    stored = db.session.get(SendJob, job.id)
    assert (stored.sent, stored.failed, stored.uncertain) == (2, 1, 1)
    items = {i.recipient_puid: i for i in stored.items}
    assert items[friends[1].id].status == "uncertain"
    assert items[stranger.id].status == "failed" and "not a friend" in items[stranger.id].error


def test_group_limits_and_refused_removals_read_like_web_wechats(sandbox):
    """Item 5: the account's group-creation limit ("操作太频繁") and a refused removal give the itchat side's errors
    (wechat/group_errors.py), so automation backs off the same way."""
    sandbox.reset(settings={"groups_per_hour": 1, "member_removal": "refused_everywhere"})
    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=10), http_sync_interval=3600)
    login(sandbox, driver)
    try:
        friends = driver.friends()
        created = seam_commands.create_group(driver, [friends[0].id, friends[1].id], "first")
        with pytest.raises(CommandError) as limited:
            seam_commands.create_group(driver, [friends[2].id, friends[3].id], "second")
        assert (limited.value.code, limited.value.message) == ("rate_limited", RATE_LIMITED)
        with pytest.raises(CommandError) as refused:
            seam_commands.remove_members(driver, created["group"]["puid"], [friends[0].id])
        assert refused.value.code == "wechat_error" and "remove them on the phone" in refused.value.message
        assert [e["kind"] for e in sandbox.sent()] == ["create_group"]
    finally:
        driver.close()


def test_an_image_over_the_gateway_limit_is_refused_before_sending(app, sandbox, padpro):
    """Item 8: refused with the reason before anything goes out (the face would refuse it half-way)."""
    big = save_upload(upload_root(), io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * MB)), "big.png",
                      frozenset({"png"}))
    friend = padpro.friends()[0]
    with pytest.raises(CommandError) as refused:
        seam_commands.send_message(padpro, friend.id, "look", files=[big.id])
    assert refused.value.code == "invalid" and "images of at most 20 MB" in refused.value.message
    assert sandbox.sent() == []  # not even the text: a message goes out whole or not at all


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_bot_removed_from_a_group_marks_it_left(app, sandbox, padpro, language):
    """The gateway's system note 你被"X"移出群聊 / You were removed from the group chat by "X" → the group is left."""
    sandbox.control("world", {"op": "set_note_language", "language": language})
    world = sandbox.world()
    group = next(g for g in world["groups"] if not g["owned_by_bot"])
    me = padpro.self_info()
    account_id = ensure_account(me.id, me.nick_name).id
    sandbox.control("messages", {"from": group["members"][2], "group": group["name"], "content": "hi"})
    said, _ = wait_for(padpro, MessageEvent)
    groups_active(account_id, {said.chat_id: (group["name"], event_time(said))})  # the archive knows the group
    db.session.commit()

    sandbox.control("world", {"op": "remove_member", "group": group["name"], "nick_name": me.nick_name})
    note, _ = wait_for(padpro, GroupNoteEvent)
    assert note.group_id == said.chat_id and note.member_ids == (me.id,)
    mark_left_on_evidence(note, types.SimpleNamespace(account_id=lambda: account_id))
    stored = db.session.execute(db.select(Group).where(Group.puid == said.chat_id)).scalar_one()
    assert stored.left_reason == "removed" and stored.left_at is not None
    assert said.chat_id not in {g.id for g in padpro.groups()}  # and the driver lists it no more


def _known_group(padpro, sandbox, group: dict) -> tuple[int, str]:
    """The account and the id of a group the archive knows (one message from it was stored)."""
    me = padpro.self_info()
    account_id = ensure_account(me.id, me.nick_name).id
    sandbox.control("messages", {"from": group["members"][2], "group": group["name"], "content": "hi"})
    said, _ = wait_for(padpro, MessageEvent)
    groups_active(account_id, {said.chat_id: (group["name"], event_time(said))})
    db.session.commit()
    return account_id, said.chat_id


def _left(group_id: str) -> tuple[str | None, bool]:
    stored = db.session.execute(db.select(Group).where(Group.puid == group_id)).scalar_one()
    return stored.left_reason, stored.left_at is not None


def test_a_dissolved_group_is_marked_dissolved(app, sandbox, padpro):
    """The owner dissolves the group: the gateway's 10002 sysmsgtemplate note (群主"X"已解散该群聊), then the group
    in DelContacts; the group is marked dissolved, the later contact evidence does not replace the reason."""
    group = next(g for g in sandbox.world()["groups"] if not g["owned_by_bot"])
    account_id, group_id = _known_group(padpro, sandbox, group)
    sandbox.control("world", {"op": "dissolve_group", "group": group["name"]})
    note, seen = wait_for(padpro, GroupNoteEvent)
    if not any(isinstance(e, GroupLeftEvent) for e in seen):  # contact changes come with the keyed sync (<= 1 s)
        seen += wait_for(padpro, GroupLeftEvent)[1]
    gone = [e for e in seen if isinstance(e, GroupLeftEvent)]
    assert note.group_id == group_id and note.text == f'群主"{group["owner"]}"已解散该群聊'
    assert gone == [GroupLeftEvent(group_id, GroupLeftReason.REMOVED)]  # the DelContacts entry
    ctx = types.SimpleNamespace(account_id=lambda: account_id)
    for event in (note, *gone):
        mark_left_on_evidence(event, ctx)
    assert _left(group_id) == ("dissolved", True)
    assert group_id not in {g.id for g in padpro.groups()}


def test_a_group_the_bot_silently_left_is_marked_removed(app, sandbox, padpro):
    """No note at all (the bot left from the phone): the group in DelContacts is the only evidence."""
    group = next(g for g in sandbox.world()["groups"] if not g["owned_by_bot"])
    account_id, group_id = _known_group(padpro, sandbox, group)
    me = padpro.self_info()
    sandbox.control("world", {"op": "leave_group", "group": group["name"], "nick_name": me.nick_name})
    sandbox.control("world", {"op": "rename_group", "group": group["name"], "name": "改名以后"})
    events = []
    for _ in range(10):
        events += padpro.poll_events(0.5)
        if any(isinstance(e, GroupLeftEvent) for e in events):
            break
    # DelContacts, then the rename's ModContacts whose member list lacks the bot: the same evidence twice.
    gone = [e for e in events if isinstance(e, GroupLeftEvent)]
    assert gone and {e.group_id for e in gone} == {group_id}
    for event in gone:
        mark_left_on_evidence(event, types.SimpleNamespace(account_id=lambda: account_id))
    assert _left(group_id) == ("removed", True)


def event_time(event):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(event.create_time, UTC)


def test_recorded_revoke_status_notify_and_refusal_shapes():
    """The shapes behind the tests above, from recordings: a GeWe-family (iPad protocol) client's revoke callback
    (CamelCase, {"string"} wrappers), a status notify with a hostile DTD, a send item refused with ret 1204."""
    from drivers.padpro import shapes
    from drivers.padpro.events import notified_chats, to_events

    xml = ('<sysmsg type="revokemsg"><revokemsg><session>wxid_phyyedw9xap22</session><msgid>1040356115</msgid>'
           '<newmsgid>5576224237104747184</newmsgid><replacemsg><![CDATA["朝夕。" 撤回了一条消息]]></replacemsg>'
           '</revokemsg></sysmsg>')
    revoke = {"Data": {"MsgId": 1040356116, "FromUserName": {"string": "wxid_phyyedw9xap22"},
                       "ToUserName": {"string": "wxid_0xsqb3o0tsvz22"}, "MsgType": 10002, "Content": {"string": xml},
                       "CreateTime": 1705045083, "NewMsgId": 1968256046}}
    [recall] = to_events(revoke, "wxid_0xsqb3o0tsvz22")
    assert isinstance(recall, RecallEvent) and recall.recalled_msg_id == "5576224237104747184"
    assert recall.chat_id == "wxid_phyyedw9xap22" and recall.text == '"朝夕。" 撤回了一条消息'

    notify = {"msg_type": 51, "new_msg_id": 7, "content": {"str": (
        "<msg>\n<op id='4'>\n<username>filehelper,1234@chatroom,wxid_a,1234@chatroom</username>\n</op>\n</msg>")}}
    assert notified_chats(notify) == ["filehelper", "1234@chatroom", "wxid_a"] and to_events(notify, "me") == []
    hostile = {"msg_type": 51, "new_msg_id": 8,
               "content": '<!DOCTYPE m [<!ENTITY x "1@chatroom">]><msg><op><username>&x;</username></op></msg>'}
    assert notified_chats(hostile) == []  # no DTD is accepted, so no entity expands
    assert notified_chats({"msg_type": 1, "new_msg_id": 9, "content": "<msg><op><username>a</username></op></msg>"}) \
        == []

    refused = [{"isSendSuccess": False, "toUSerName": "wxid_x", "errMsg": "not a friend",
                "resp": {"baseResponse": {"ret": 1204, "errMsg": {"str": "not a friend"}}}}]
    with pytest.raises(Rejected) as caught:
        shapes.send_result(refused)
    assert caught.value.code == 1204 and "not a friend of the bot" in caught.value.message


@pytest.mark.parametrize("note, names", [
    ("You invited 管理员、Bruce LEE to the group chat.   ", ("管理员", "Bruce LEE")),  # firer.spec.ts: unquoted
    ("李卓桓 invited Huan to the group chat", ("Huan",)),
    ('"管理员" joined group chat via the QR code you shared.  ', ("管理员",)),  # firer.ts REGEX_CONFIG, padlocal
    ('"宁锐锋" joined the group chat via the QR Code shared by "管理员".', ("宁锐锋",)),
    ('"桔小秘" joined the group chat via your shared QR Code.', ("桔小秘",)),  # the older web-puppet form
])
def test_english_join_notes_as_recorded_read_the_same_in_both_parsers(note, names):
    from drivers.padpro.events import RawMessage, _group_note
    from drivers.types import GroupNoteKind
    from wechat.automation.notes import parse_note

    assert parse_note(note).names == list(names)
    event = _group_note(RawMessage("1", "1@chatroom", "me", 10000, note, 0, "", ""), "1@chatroom", note)
    assert event.kind is GroupNoteKind.JOIN and event.member_names == names
