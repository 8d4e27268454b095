"""Sync and archive through a real worker, the sandbox and unmodified wxpy."""

import pytest

from tests.fixtures.processes import wait_for
from tests.runtime.conftest import DRIVERS

pytestmark = pytest.mark.integration

WORLD = dict(friends=12, groups=0, mps=2, explicit_groups=[
    {"name": "技术群🐍", "members": ["张三", "李四", "王五"], "owner": "self"},
    {"name": "客户群", "members": ["张三", "赵六"], "owner": "赵六"},
])


@pytest.fixture
def synced(stack):
    stack.sandbox.reset(**WORLD)
    stack.start_worker()
    assert stack.log_in()["login"]["driver"] == stack.env["WECHAT_DRIVER"]
    wait_for(lambda: stack.api("GET", "/api/groups").json["total"] == 2, 30, what="the first sync after login")
    return stack


def all_items(stack, path: str) -> list[dict]:
    return stack.api("GET", f"{path}{'&' if '?' in path else '?'}per_page=200").json["items"]


def db_world(stack) -> dict:
    groups = {}
    for group in all_items(stack, "/api/groups"):
        members = all_items(stack, f"/api/groups/{group['id']}/members")
        groups[group["name"]] = sorted(m["nick_name"] for m in members)
    return {"friends": sorted(c["nick_name"] for c in all_items(stack, "/api/contacts")),
            "groups": groups, "mps": sorted(m["nick_name"] for m in all_items(stack, "/api/mps"))}


def sandbox_world(stack) -> dict:
    world = stack.sandbox.world()
    me = world["account"]["nick_name"]
    return {"friends": sorted(f["nick_name"] for f in world["friends"]),
            "groups": {g["name"]: sorted(m for m in g["members"] if m != me) for g in world["groups"]},
            "mps": sorted(m["nick_name"] for m in world["mps"])}


def sync_now(stack, what: str = "all") -> dict:
    """Ask for a sync and wait for its result (retrying while the sync after login is still running)."""
    def attempt():
        response = stack.api("POST", "/api/sync", json={"what": what})
        assert response.status_code == 202, response.json
        result = stack.app.extensions["celery"].AsyncResult(response.json["task_id"]).get(timeout=60)
        return result if result.get("error") != "busy" else None

    result = wait_for(attempt, 60, interval=0.5, what="a sync that is not refused as busy")
    assert result["ok"], result
    return result


@pytest.mark.parametrize("driver", DRIVERS)
def test_database_matches_the_world_after_login_and_follows_changes(synced):
    assert db_world(synced) == sandbox_world(synced)
    friend = sandbox_world(synced)["friends"][0]
    synced.sandbox.control("world", {"op": "remove_friend", "nick_name": friend})
    synced.sandbox.control("world", {"op": "leave_group", "group": "技术群🐍", "nick_name": "李四"})
    synced.sandbox.control("world", {"op": "rename_group", "group": "客户群", "name": "VIP 客户群"})
    synced.sandbox.control("world", {"op": "add_mp", "nick_name": "新公众号📰"})
    sync_now(synced)
    assert db_world(synced) == sandbox_world(synced)
    assert friend not in db_world(synced)["friends"]
    assert "VIP 客户群" in db_world(synced)["groups"]


@pytest.mark.parametrize("driver", DRIVERS)  # padpro: avatar URLs on the gateway origin (sync/avatars)
def test_avatars_are_downloaded_once_and_served(synced):
    sync_now(synced)  # the pictures follow each sync in a task of their own (wechat.avatars)

    def everyone_pictured():
        people = all_items(synced, "/api/contacts") + all_items(synced, "/api/groups")
        return all(item["avatar_url"] for item in people) and people

    with_avatar = wait_for(everyone_pictured, 30, what="the avatars after the sync")
    picture = synced.api("GET", with_avatar[0]["avatar_url"])
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg" and len(picture.data) > 50
    again = sync_now(synced)  # within a day: nothing is fetched again
    assert again["results"] and synced.api("GET", with_avatar[0]["avatar_url"]).data == picture.data
    assert synced.api("GET", "/api/avatars/contacts/999999").status_code == 404


def test_contact_search_and_paging(synced):
    first = synced.api("GET", "/api/contacts?per_page=5&page=1").json
    second = synced.api("GET", "/api/contacts?per_page=5&page=2").json
    assert first["total"] == 12 and len(first["items"]) == 5
    assert not {c["puid"] for c in first["items"]} & {c["puid"] for c in second["items"]}
    name = first["items"][0]["nick_name"]
    found = synced.api("GET", "/api/contacts", query_string={"q": name[:2]}).json["items"]
    assert name in [c["nick_name"] for c in found]
    for bad in ("page=0", "per_page=1000", "page=x"):
        response = synced.api("GET", f"/api/contacts?{bad}")
        assert response.status_code == 400 and response.is_json, bad
    assert synced.api("GET", "/api/contacts?q=%25").json["total"] == 0  # % is literal, not a wildcard


MESSAGE_CASES = [
    ("text", "text", {"content": "你好 <b>世界</b> 😀"}),
    ("picture", "picture", {}),
    ("voice", "recording", {}),
    ("video", "video", {}),
    ("file", "attachment", {"file_name": "报告.pdf"}),
    ("sharing", "sharing", {"content": "一篇文章", "url": "https://example.com/a"}),
    ("card", "card", {"content": "张三"}),
    ("emoticon", "emoticon", {}),
]


@pytest.mark.parametrize("driver", DRIVERS)
def test_every_message_type_is_archived_with_chat_and_sender(synced, driver):
    world = sandbox_world(synced)
    friend = world["friends"][0]
    for sandbox_type, _, extra in MESSAGE_CASES:
        synced.sandbox.control("messages", {"from": friend, "type": sandbox_type, **extra})
    synced.sandbox.control("messages", {"from": "王五", "group": "技术群🐍", "type": "text", "content": "群聊消息"})
    stored = wait_for(lambda: (items := all_items(synced, "/api/messages")) and len(items) >= 9 and items, 30,
                      what="9 archived messages")
    by_type = {m["type"]: m for m in stored}
    for _, our_type, _ in MESSAGE_CASES:
        assert our_type in by_type, (our_type, sorted(by_type))
    text = by_type["text"] if by_type["text"]["chat_kind"] == "friend" else None
    friend_text = [m for m in stored if m["type"] == "text" and m["chat_kind"] == "friend"][0]
    assert friend_text["text"] == "你好 <b>世界</b> 😀" and friend_text["sender_name"] == friend
    group_text = [m for m in stored if m["chat_kind"] == "group"][0]
    assert (group_text["chat_name"], group_text["sender_name"], group_text["text"]) == ("技术群🐍", "王五", "群聊消息")
    assert text is None or text["chat_name"] == friend
    for our_type in ("picture", "recording", "video", "attachment", "emoticon"):
        message = by_type[our_type]
        if driver == "padpro" and our_type == "emoticon":  # emoji are CDN URLs outside the gateway: not fetched
            assert message["media_url"] is None and message["media_status"] == "not_fetched", our_type
            continue
        assert message["media_url"], our_type
        media = synced.api("GET", message["media_url"])
        assert media.status_code == 200 and len(media.data) > 0, our_type
    assert by_type["attachment"]["file_name"] == "报告.pdf"
    assert by_type["sharing"]["url"] == "https://example.com/a"
    filtered = synced.api("GET", "/api/messages?type=picture").json
    assert filtered["total"] == 1


@pytest.mark.parametrize("driver", DRIVERS)
def test_redelivered_messages_are_stored_once(synced):
    friend = sandbox_world(synced)["friends"][0]
    synced.sandbox.control("messages", {"from": friend, "type": "text", "content": "msg {n}", "count": 5})
    wait_for(lambda: synced.api("GET", "/api/messages").json["total"] == 5, 20, what="5 messages")
    worker = synced.workers[0]
    worker.process.kill()  # no chance to save the session: the restart re-syncs from an older SyncKey
    worker.process.wait(10)
    synced.sandbox.control("messages", {"from": friend, "type": "text", "content": "after {n}", "count": 2})
    synced.start_worker()
    wait_for(lambda: synced.api("GET", "/api/messages").json["total"] == 7, 40, what="7 messages after restart")
    texts = [m["text"] for m in all_items(synced, "/api/messages")]
    assert len(texts) == len(set(texts)) == 7


def test_unread_count_rises_reaches_sse_and_read_all_clears(synced):  # after the archive: driver-neutral
    friend = sandbox_world(synced)["friends"][0]
    synced.sandbox.control("messages", {"from": friend, "type": "text", "content": "hi {n}", "count": 3})
    wait_for(lambda: synced.api("GET", "/api/notifications").json["unread"] == 3, 20, what="3 unread")
    response = synced.client().get("/stream?events=notification&last_event_id=0-0", headers=synced.headers,
                                   buffered=False)
    seen = []
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        seen += [line for line in text.splitlines() if line.startswith("data: ")]
        if any('"unread": 3' in line or '"unread":3' in line for line in seen):
            break
    response.close()
    assert any("3" in line for line in seen), seen
    assert synced.api("POST", "/api/notifications/read_all").json == {"unread": 0}
    assert synced.api("GET", "/api/notifications").json["unread"] == 0


def test_deleting_a_chat_archive(synced):
    friend = sandbox_world(synced)["friends"][0]
    synced.sandbox.control("messages", {"from": friend, "type": "picture"})
    message = wait_for(lambda: all_items(synced, "/api/messages"), 20, what="a picture")[0]
    response = synced.api("DELETE", f"/api/messages?chat={message['chat_puid']}")
    assert response.json == {"deleted": 1}
    assert synced.api("GET", message["media_url"]).status_code == 404
    assert synced.api("DELETE", "/api/messages").status_code == 400


def test_a_recalled_message_is_kept_and_marked_recalled_with_who_and_when(synced):
    # Type 10002 names the recalled MsgId; the archive keeps the original (ItChat's "Note" alone lost it).
    original = synced.sandbox.control("messages", {"from": "王五", "group": "技术群🐍", "type": "text",
                                                   "content": "说错了的话"})["msg_ids"][0]
    synced.sandbox.control("messages", {"from": "王五", "group": "技术群🐍", "type": "recall", "msg_id": original})

    def recalled():
        items = all_items(synced, "/api/messages")
        return next((m for m in items if m["msg_id"] == original and m["recalled_at"]), None)

    message = wait_for(recalled, 20, what="the original marked recalled")
    assert message["text"] == "说错了的话" and message["recalled_by"] == "王五"
    chat = synced.api("GET", f"/api/chats/{message['chat_puid']}/messages").json
    assert any(m["msg_id"] == original and m["recalled"] for m in chat["items"]), chat


def test_groups_no_list_shows_are_learned_from_messages_and_survive_a_new_login(stack):
    # Web WeChat lists only groups saved to contacts; others show up when they speak (ItChat issues 89, 440).
    stack.sandbox.reset(friends=0, groups=0, mps=0, explicit_friends=["张三"], explicit_groups=[
        {"name": f"最近的群{n}", "members": ["张三"]} for n in range(3)] + [{"name": "安静的群", "members": ["张三"]}])
    stack.start_worker()
    stack.log_in()
    names = lambda: {g["name"] for g in all_items(stack, "/api/groups")}  # noqa: E731
    wait_for(lambda: len(names()) == 3, 30, what="the three recent groups of webwxinit")
    assert "安静的群" not in names()
    stack.sandbox.control("messages", {"from": "张三", "group": "安静的群", "type": "text", "content": "我们还在"})
    wait_for(lambda: "安静的群" in names(), 20, what="the group learned from its message")
    sync_now(stack)
    stack.sandbox.control("logout", {})  # a new session: its lists omit 安静的群 again
    stack.log_in()
    sync_now(stack)
    groups = {g["name"]: g for g in all_items(stack, "/api/groups")}
    assert "安静的群" in groups and groups["安静的群"]["left_at"] is None
    members = all_items(stack, f"/api/groups/{groups['安静的群']['id']}/members")
    assert [m["nick_name"] for m in members] == ["张三"]  # kept: a list that omits a group proves nothing
