"""Bot commands over the API, executed by the worker that holds the bot, checked in the sandbox."""

import io

import pytest

from tests.fixtures.processes import wait_for
from tests.runtime.conftest import DRIVERS

# The commands on both drivers (the sandbox's two faces of one world); refusals that are the same code on both
# (unknown ids) run on itchat only, to keep the suite's time.
pytestmark = pytest.mark.integration
both = pytest.mark.parametrize("driver", DRIVERS)


@pytest.fixture
def live(stack):
    # Saved to contacts: the three seeded groups fill webwxinit's recent chats, unsaved ones would be unseen.
    stack.sandbox.reset(friends=10, explicit_groups=[
        {"name": "小群", "members": 10, "owner": "self", "saved": True},
        {"name": "大群", "members": 45, "owner": "self", "saved": True},
        {"name": "别人的群", "members": ["群主甲", "成员乙", "成员丙"], "owner": "群主甲", "saved": True},
    ], settings={"groups_per_hour": 2})
    stack.start_worker()
    stack.log_in()
    return stack


def chats(stack) -> dict:
    return stack.api("GET", "/api/wechat/chats").json


def by_name(items: list[dict], name: str) -> dict:
    return next(item for item in items if item["name"] == name)


def sent_since(stack, seq: int) -> list[dict]:
    return [e for e in stack.sandbox.sent() if e["seq"] > seq]


def test_create_group_add_and_remove_members_with_the_real_refusals(live):  # web WeChat's own refusals: itchat
    friends = chats(live)["friends"]
    others = by_name(chats(live)["groups"], "别人的群")
    members = live.api("GET", f"/api/wechat/groups/{others['puid']}/members").json["members"]
    stranger = next(m for m in members if m["name"] == "成员乙")
    seq = live.sandbox.state()["sent_count"]
    # A refused creation comes back as Ret 0 with an <e> error and no group id (wxpy issue 49): a clear error.
    refused = live.api("POST", "/api/wechat/groups",
                       json={"members": [friends[0]["puid"], stranger["puid"]], "topic": "不行的群"})
    assert refused.status_code == 502, refused.json
    assert "did not create the group: 创建群聊失败" in refused.json["error"], refused.json
    created = live.api("POST", "/api/wechat/groups",
                       json={"members": [friends[0]["puid"], friends[1]["puid"]], "topic": "新群✌"})
    assert created.status_code == 200, created.json
    group = created.json["group"]
    added = live.api("POST", f"/api/wechat/groups/{group['puid']}/members", json={"members": [friends[2]["puid"]]})
    assert added.status_code == 200 and added.json["invited"] is False, added.json
    # Web WeChat refuses delmember even for the owner (ItChat issues 877, 923): said so, not a silent success.
    removed = live.api("POST", f"/api/wechat/groups/{group['puid']}/members/remove",
                       json={"members": [friends[2]["puid"]]})
    assert removed.status_code == 502 and "remove them on the phone" in removed.json["error"], removed.json
    # Two or three new groups an hour (ItChat issue 560): the third is Ret 1 "操作太频繁", a rate limit (429).
    live.api("POST", "/api/wechat/groups", json={"members": [friends[3]["puid"], friends[4]["puid"]], "topic": "二"})
    limited = live.api("POST", "/api/wechat/groups",
                       json={"members": [friends[5]["puid"], friends[6]["puid"]], "topic": "三"})
    assert limited.status_code == 429 and "too frequent" in limited.json["error"], limited.json
    group_ops = ("create_group", "add_member", "del_member")  # the welcome text (automation) is not ours here
    kinds = [(e["kind"], e.get("topic") or e["to"]) for e in sent_since(live, seq) if e["kind"] in group_ops]
    assert kinds == [("create_group", "新群✌"), ("add_member", "新群✌"), ("create_group", "二")]


@pytest.mark.parametrize("driver", ["padpro"])
def test_create_group_add_and_remove_members_on_the_gateway(live):
    """The gateway can remove members (web WeChat cannot): the seam's group commands end to end."""
    friends = chats(live)["friends"]
    seq = live.sandbox.state()["sent_count"]
    created = live.api("POST", "/api/wechat/groups",
                       json={"members": [friends[0]["puid"], friends[1]["puid"]], "topic": "新群✌"})
    assert created.status_code == 200, created.json
    group = created.json["group"]
    added = live.api("POST", f"/api/wechat/groups/{group['puid']}/members", json={"members": [friends[2]["puid"]]})
    assert added.status_code == 200 and added.json["invited"] is False, added.json
    removed = live.api("POST", f"/api/wechat/groups/{group['puid']}/members/remove",
                       json={"members": [friends[2]["puid"]]})
    assert removed.status_code == 200, removed.json
    group_ops = ("create_group", "add_member", "del_member")
    kinds = [(e["kind"], e.get("topic") or e["to"]) for e in sent_since(live, seq) if e["kind"] in group_ops]
    assert kinds == [("create_group", "新群✌"), ("add_member", "新群✌"), ("del_member", "新群✌")]


@both
def test_big_group_gets_an_invitation(live):
    big = by_name(chats(live)["groups"], "大群")
    friend = chats(live)["friends"][0]
    response = live.api("POST", f"/api/wechat/groups/{big['puid']}/members", json={"members": [friend["puid"]]})
    assert response.status_code == 200 and response.json["invited"] is True, response.json
    assert live.sandbox.sent()[-1]["kind"] == "invite_member"


@both
def test_remove_from_a_group_the_bot_does_not_own_is_refused(live):
    other = by_name(chats(live)["groups"], "别人的群")
    friend = chats(live)["friends"][0]
    response = live.api("POST", f"/api/wechat/groups/{other['puid']}/members/remove",
                        json={"members": [friend["puid"]]})
    assert response.status_code == 403 and response.json["code"] == "not_owner"


def test_unknown_ids_are_404(live):
    response = live.api("POST", "/api/wechat/groups/nope/members/remove", json={"members": ["x"]})
    assert response.status_code == 404 and response.json["code"] == "not_found"


@both
def test_accept_a_friend_request_and_set_a_remark(live):
    # Accepted by the operator here, not by the automation.
    assert live.api("PUT", "/api/settings/automation", json={"auto_accept": False}).status_code == 200
    live.sandbox.control("friend_requests", {"from": "陌生人😀", "text": "python"})
    pending = wait_for(lambda: live.api("GET", "/api/wechat/friend_requests").json["items"], 15,
                       what="the friend request to reach the dashboard")
    assert pending[0]["nick_name"] == "陌生人😀" and pending[0]["text"] == "python"
    accepted = live.api("POST", f"/api/wechat/friend_requests/{pending[0]['id']}/accept")
    assert accepted.status_code == 200, accepted.json
    assert live.sandbox.sent()[-1]["kind"] == "verify_user"
    friend = wait_for(lambda: [f for f in chats(live)["friends"] if f["name"] == "陌生人😀"], 15,
                      what="the new friend in the bot's list")[0]
    remark = live.api("PUT", f"/api/wechat/contacts/{friend['puid']}/remark", json={"remark": "Python 学员"})
    assert remark.status_code == 200, remark.json
    assert live.sandbox.sent()[-1]["kind"] == "remark"
    assert live.sandbox.sent()[-1]["remark_name"] == "Python 学员"


@both
def test_send_a_friend_request_to_a_group_member(live):
    group = by_name(chats(live)["groups"], "别人的群")
    listing = live.api("GET", f"/api/wechat/groups/{group['puid']}/members")
    assert listing.status_code == 200 and listing.json["is_owner"] is False, listing.json
    stranger = by_name(listing.json["members"], "成员乙")
    response = live.api("POST", "/api/wechat/friends", json={"puid": stranger["puid"], "text": "我是群里的机器人"})
    assert response.status_code == 200, response.json
    entry = live.sandbox.sent()[-1]
    assert (entry["kind"], entry["to"], entry["verify_content"]) == ("add_friend", "成员乙", "我是群里的机器人")


@both
def test_rate_limited_is_reported(live):
    live.sandbox.control("rate_limit", {"sends": 1, "per_seconds": 60})
    friends = chats(live)["friends"]
    statuses = [live.api("POST", "/api/wechat/groups",
                         json={"members": [friends[0]["puid"], friends[1]["puid"]]}).status_code for _ in range(2)]
    assert statuses == [200, 429]


@both
def test_a_queued_send_names_files_by_upload_id_never_by_path(live, tmp_path, driver):
    """Whoever reaches the broker can queue wechat.bot_command: a path (the old message shape) is refused by the
    worker, an upload id is resolved under the uploads folder and sent."""
    from wechat.control import call_bot

    secret = tmp_path / "secret.txt"
    secret.write_text("not for WeChat")
    friend = chats(live)["friends"][0]
    seq = live.sandbox.state()["sent_count"]
    with live.app.app_context():
        for files in ([{"path": str(secret), "kind": "file", "name": "secret.txt"}], [str(secret)],
                      ["../" * 6 + str(secret)]):
            refused = call_bot("send_message", {"to": friend["puid"], "text": "x", "files": files}, app=live.app)
            assert refused["ok"] is False and refused["error"] == "invalid", refused
    assert sent_since(live, seq) == []  # refused whole: not even the text went out
    uploaded = live.api("POST", "/api/uploads", data={"file": (io.BytesIO(b"hello from an upload\n"), "note.txt")},
                        content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    with live.app.app_context():
        sent = call_bot("send_message", {"to": friend["puid"], "files": [uploaded.json["uploads"][0]["id"]]},
                        app=live.app)
    assert sent["ok"] is True, sent
    [entry] = sent_since(live, seq)
    assert (entry["kind"], entry["to"], entry["size"]) == ("file", friend["name"], 21)
