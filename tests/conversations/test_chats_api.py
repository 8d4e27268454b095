"""The Conversations API: keyset paging of a chat's history, cursors, the chat list, read marks, pins, replies."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from extensions import db
from libs import cursor
from models.message import Message
from models.wechat import Contact, Group
from wechat import control
from wechat.accounts import ensure_account
from wechat.messages.notifications import queue_arrived, unread
from wechat.messages.unread import chat_unread, queue_chat_arrivals

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CHAT = "g_big"
HOSTILE = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def account(app):
    account = ensure_account("me", "Me")
    db.session.add_all([Group(account_id=account.id, puid=CHAT, nick_name="大群", member_count=3),
                        Contact(account_id=account.id, puid="f_zhang", nick_name="张三", is_friend=True),
                        Contact(account_id=account.id, puid="f_evil", nick_name=HOSTILE, is_friend=True),
                        Contact(account_id=account.id, puid="f_quiet", nick_name="没说过话", is_friend=True)])
    db.session.commit()
    return account


def add_messages(account_id: int, chat: str, count: int, start: datetime = T0, same_time_every: int = 1,
                 kind: str = "group", **extra) -> None:
    """`count` messages; every `same_time_every` of them share one created_at (ties the cursor must break)."""
    rows = [{"account_id": account_id, "msg_id": f"{chat}-{n}", "type": "text", "chat_kind": kind, "chat_puid": chat,
             "chat_name": chat, "sender_puid": "s", "sender_name": "S", "is_outgoing": False, "text": f"m{n}",
             "created_at": start + timedelta(seconds=n // same_time_every), **extra}
            for n in range(count)]
    db.session.execute(insert(Message), rows)
    db.session.commit()


def test_cursor_round_trip_and_garbage():
    at = datetime(2026, 11, 30, 6, 1, 2, 345678, tzinfo=UTC)
    assert cursor.decode(cursor.encode(at, 42)) == (at, 42)
    made = base64.urlsafe_b64encode(b"1:2:3").decode()
    for bad in ["", "!!!", "a" * 65, made, base64.urlsafe_b64encode(b"-1:5").decode(),
                base64.urlsafe_b64encode(b"99999999999999999:1").decode(),
                base64.urlsafe_b64encode(b"1:99999999999999999999").decode(), "0:1", "ü"]:
        with pytest.raises(cursor.BadCursor):
            cursor.decode(bad)


def test_paging_backwards_and_forwards_over_1000_messages_without_gaps_or_repeats(logged_in, account):
    # Three messages per second: pages end in the middle of a second, where only the id orders the rows.
    add_messages(account.id, CHAT, 1000, same_time_every=3)
    add_messages(account.id, "other", 30)  # another chat's messages never leak in
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        url = f"/api/chats/{CHAT}/messages?limit=70" + (f"&before={before}" if before else "")
        body = logged_in.get(url).json
        pages += 1
        texts = [item["text"] for item in body["items"]]
        seen = texts + seen
        if not body["has_more"]:
            break
        before = body["items"][0]["cursor"]
    assert pages == 15
    assert seen == [f"m{n}" for n in range(1000)]

    after, forward = body["items"][0]["cursor"], [body["items"][0]["text"]]
    while True:
        body = logged_in.get(f"/api/chats/{CHAT}/messages?limit=99&after={after}").json
        forward += [item["text"] for item in body["items"]]
        if not body["has_more"]:
            break
        after = body["items"][-1]["cursor"]
    assert forward == seen


def test_a_message_arriving_while_scrolling_back_shifts_nothing(logged_in, account):
    add_messages(account.id, CHAT, 120)
    newest = logged_in.get(f"/api/chats/{CHAT}/messages?limit=50").json["items"]
    add_messages(account.id, CHAT, 1, start=T0 + timedelta(days=1), msg_id="late")
    older = logged_in.get(f"/api/chats/{CHAT}/messages?limit=50&before={newest[0]['cursor']}").json["items"]
    assert older[-1]["text"] == "m69" and newest[0]["text"] == "m70"


@pytest.mark.parametrize("query", ["before=garbage", "after=%00%00", "before=" + "A" * 100,
                                   "before=" + base64.urlsafe_b64encode(b"12:x").decode(), "limit=0", "limit=abc",
                                   "before=MTox&after=MTox"])
def test_bad_cursors_and_limits_are_400_json(logged_in, account, query):
    response = logged_in.get(f"/api/chats/{CHAT}/messages?{query}")
    assert response.status_code == 400 and response.is_json and response.json["error"]


def test_chat_list_latest_first_pinned_on_top_with_unread_and_search(logged_in, account, app):
    add_messages(account.id, CHAT, 3)
    add_messages(account.id, "f_zhang", 2, start=T0 + timedelta(hours=1), kind="friend")
    add_messages(account.id, "f_evil", 1, start=T0 + timedelta(hours=2), kind="friend")
    state = control.bot_state()
    pipe = state.client.pipeline()
    queue_chat_arrivals(state, pipe, [CHAT, CHAT, "f_zhang"])
    queue_arrived(state, pipe, 3)
    pipe.execute()

    items = logged_in.get("/api/chats").json["items"]
    assert [item["puid"] for item in items] == ["f_evil", "f_zhang", CHAT]
    assert items[0]["name"] == HOSTILE and items[2]["name"] == "大群" and items[2]["kind"] == "group"
    assert {item["puid"]: item["unread"] for item in items} == {"f_evil": 0, "f_zhang": 1, CHAT: 2}
    assert items[1]["last_message"]["text"] == "m1"

    token = csrf(logged_in)
    assert logged_in.put(f"/api/chats/{CHAT}/pin", headers=token).json == {"chat": CHAT, "pinned": True}
    assert [item["puid"] for item in logged_in.get("/api/chats").json["items"]][0] == CHAT

    found = logged_in.get("/api/chats?q=没说过").json["items"]
    assert [item["puid"] for item in found] == ["f_quiet"] and found[0]["last_message"] is None
    assert [i["puid"] for i in logged_in.get("/api/chats?q=张").json["items"]] == ["f_zhang"]
    logged_in.delete(f"/api/chats/{CHAT}/pin", headers=token)
    assert [item["puid"] for item in logged_in.get("/api/chats").json["items"]][0] == "f_evil"


def test_mark_read_clears_the_chat_and_lowers_the_global_count(logged_in, account):
    state = control.bot_state()
    pipe = state.client.pipeline()
    queue_chat_arrivals(state, pipe, [CHAT, CHAT, "f_zhang"])
    queue_arrived(state, pipe, 3)
    pipe.execute()
    response = logged_in.post(f"/api/chats/{CHAT}/read", headers=csrf(logged_in))
    assert response.json == {"chat": CHAT, "cleared": 2, "unread": 1}
    assert chat_unread(state) == {"f_zhang": 1} and unread(state) == 1
    again = logged_in.post(f"/api/chats/{CHAT}/read", headers=csrf(logged_in)).json
    assert again["cleared"] == 0 and again["unread"] == 1
    logged_in.post("/api/notifications/read_all", headers=csrf(logged_in))
    assert chat_unread(state) == {} and unread(state) == 0


def test_reply_is_an_audited_one_recipient_send_job(logged_in, account):
    from models.audit import AuditLog
    from models.send_job import SendJob

    response = logged_in.post("/api/chats/f_zhang/messages", json={"text": "@张三\u2005你好"},
                              headers=csrf(logged_in))
    assert response.status_code == 202
    job = db.session.get(SendJob, response.json["job"]["id"])
    assert job.reason == "reply" and [item.recipient_puid for item in job.items] == ["f_zhang"]
    assert db.session.execute(db.select(AuditLog.action).where(AuditLog.target == "f_zhang")).scalar() == \
        "message.reply"
    for body in ({}, {"text": 5}, {"text": "", "files": ["nope"]}, {"files": "x"}):
        bad = logged_in.post("/api/chats/f_zhang/messages", json=body, headers=csrf(logged_in))
        assert bad.status_code == 400 and bad.is_json


def test_the_message_event_carries_the_whole_message():
    from wechat.messages.archive import message_event

    record = {"id": 7, "msg_id": "1", "type": "note", "chat_kind": "group", "chat_puid": "g", "chat_name": "G",
              "sender_puid": None, "sender_name": "", "is_outgoing": False, "text": "张三撤回了一条消息" * 1000,
              "url": None, "file_name": "a.pdf", "file_size": 12, "file_path": "1/a.pdf", "created_at": T0}
    event = message_event(record)
    assert event["recalled"] and event["truncated"] and event["media_url"] == "/api/media/7"
    assert cursor.decode(event["cursor"]) == (T0, 7)


def csrf(client) -> dict[str, str]:
    import re

    page = client.get("/chats").get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}


def test_voice_and_video_are_served_inline_so_the_page_can_play_them(logged_in, account):
    from wechat.messages.archive import media_root

    for n, (kind, name, mime) in enumerate([("recording", "v.mp3", "audio/mpeg"), ("video", "v.mp4", "video/mp4"),
                                           ("attachment", "a.html", "application/octet-stream")]):
        path = media_root() / "1" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"data")
        add_messages(account.id, f"media-{n}", 1, type=kind, file_path=f"1/{name}")
        row = db.session.execute(db.select(Message).where(Message.chat_puid == f"media-{n}")).scalar()
        response = logged_in.get(f"/api/media/{row.id}")
        assert response.status_code == 200 and response.mimetype == mime
        assert ("attachment" in response.headers["Content-Disposition"]) == (kind == "attachment")


def test_group_history_carries_the_senders_avatars(logged_in, account):
    """Sender names *and avatars* in groups: a member whose avatar was downloaded is shown with it."""
    db.session.execute(update(Contact).where(Contact.puid == "f_zhang").values(avatar_path="avatars/zhang.jpg"))
    db.session.commit()
    zhang_id = db.session.execute(select(Contact.id).where(Contact.puid == "f_zhang")).scalar_one()
    add_messages(account.id, CHAT, 2, sender_puid="f_zhang", sender_name="张三")
    add_messages(account.id, "g_other", 1, sender_puid="f_quiet", sender_name="没说过话")
    items = logged_in.get(f"/api/chats/{CHAT}/messages").json["items"]
    assert [item["sender_avatar_url"] for item in items] == [f"/api/avatars/contacts/{zhang_id}"] * 2
    other = logged_in.get("/api/chats/g_other/messages").json["items"]
    assert other[0]["sender_avatar_url"] is None  # no downloaded avatar: the page draws the initial
