"""The padpro driver against the sandbox's gateway face (a real sandbox process, HTTP and WebSocket)."""

from __future__ import annotations

import socket

import pytest

from drivers.padpro import GatewayClient, PadProDriver
from drivers.padpro.ws import WsConnection, WsError
from drivers.types import (
    ContactKind,
    FriendRequestEvent,
    GroupNoteEvent,
    GroupNoteKind,
    LoginState,
    LogoutEvent,
    Mention,
    MessageEvent,
    MessageKind,
    RateLimited,
    Rejected,
    Unavailable,
)
from tests.drivers.conftest import GATEWAY_KEY, login


def wait_for(driver: PadProDriver, kind: type, timeout: float = 5.0):
    """Poll until an event of ``kind`` arrives; returns it with everything else seen."""
    seen = []
    for _ in range(int(timeout / 0.5)):
        seen += driver.poll_events(0.5)
        found = [e for e in seen if isinstance(e, kind)]
        if found:
            return found[0], seen
    raise AssertionError(f"no {kind.__name__} in {seen}")


def test_qr_login_self_and_contacts_match_the_world(sandbox, padpro):
    world = sandbox.world()
    assert sandbox.state()["session"]["variant"] == "pad"
    me = padpro.self_info()
    assert me.nick_name == world["account"]["nick_name"] and me.id.startswith("wxid_")

    friends = padpro.friends()
    assert sorted(f.nick_name for f in friends) == sorted(f["nick_name"] for f in world["friends"])
    assert all(f.kind is ContactKind.FRIEND and f.id.startswith("wxid_") for f in friends)
    assert sorted(m.nick_name for m in padpro.mps()) == sorted(m["nick_name"] for m in world["mps"])

    groups = {g.name: g for g in padpro.groups()}
    # The saved ones from the contact list, the others from the status notify's recent chats (as on the web face).
    assert set(groups) == {g["name"] for g in world["groups"]}
    first = world["groups"][0]
    members = padpro.group_members(groups[first["name"]].id)
    assert [m.nick_name for m in members] == first["members"]
    # Ids are stable: a second login sees the same wxids (the itchat driver's would all change).
    padpro.logout()
    login(sandbox, padpro)
    assert {f.id for f in padpro.friends()} == {f.id for f in friends}


def test_incoming_messages_arrive_over_the_websocket_as_neutral_events(sandbox, padpro):
    world = sandbox.world()
    group = world["groups"][0]
    speaker = group["members"][3]
    assert padpro.poll_events(0.2) == []
    sandbox.control("messages", {"from": world["friends"][0]["nick_name"], "content": "hello <b>&amp;"})
    sandbox.control("messages", {"from": speaker, "group": group["name"],
                                 "content": f"@{world['account']['nick_name']} ping"})
    sandbox.control("messages", {"from": world["friends"][1]["nick_name"], "type": "file", "size": 10})
    events = []
    for _ in range(10):
        events += padpro.poll_events(0.5)
        if len(events) >= 3:
            break
    private, grouped, file_ = events
    assert isinstance(private, MessageEvent) and private.kind is MessageKind.TEXT
    assert private.text == "hello <b>&amp;" and not private.is_group
    assert private.sender_id == private.chat_id == next(
        f.id for f in padpro.friends() if f.nick_name == world["friends"][0]["nick_name"])
    group_id = next(g.id for g in padpro.groups() if g.name == group["name"])
    assert grouped.is_group and grouped.chat_id == group_id and grouped.mentions_self
    assert grouped.sender_id == next(m.id for m in padpro.group_members(group_id) if m.nick_name == speaker)
    assert file_.kind is MessageKind.FILE and file_.file_size == 10 and file_.file_name == "file.bin"


def test_send_text_with_a_mention_reaches_the_world(sandbox, padpro):
    group = next(g for g in padpro.groups())
    member = padpro.group_members(group.id)[2]
    result = padpro.send_text(group.id, "welcome!", [Mention(member.id, member.nick_name)])
    assert result.msg_id
    sent = sandbox.sent()[-1]
    assert sent["kind"] == "text" and sent["to"] == group.name and sent["to_kind"] == "group"
    assert sent["content"] == f"@{member.nick_name}\u2005welcome!" and sent["mentions"] == [member.nick_name]
    with pytest.raises(Rejected):
        padpro.send_text("wxid_nobody", "x")


def test_create_group_invite_and_remove_members(sandbox, padpro):
    friends = padpro.friends()
    group_id = padpro.create_group("Drivers 🚗", [friends[0].id, friends[1].id])
    assert group_id.endswith("@chatroom")
    note, _ = wait_for(padpro, GroupNoteEvent)
    assert note.group_id == group_id and note.kind is GroupNoteKind.JOIN
    assert set(note.member_names) == {friends[0].nick_name, friends[1].nick_name}

    padpro.invite_members(group_id, [friends[2].id])
    padpro.remove_members(group_id, [friends[0].id])
    created = next(g for g in sandbox.world()["groups"] if g["name"] == "Drivers 🚗")
    assert created["owned_by_bot"]
    assert created["members"] == [sandbox.world()["account"]["nick_name"], friends[1].nick_name,
                                  friends[2].nick_name]
    assert [e["kind"] for e in sandbox.sent()[-3:]] == ["create_group", "invite_member", "del_member"]

    padpro.rename_group(group_id, "Drivers 2")
    padpro.set_announcement(group_id, "be nice")
    padpro.set_remark(friends[1].id, "Bee")
    assert [e["kind"] for e in sandbox.sent()[-3:]] == ["mod_topic", "announcement", "remark"]
    assert next(f for f in sandbox.world()["friends"] if f["nick_name"] == friends[1].nick_name)["remark_name"] \
        == "Bee"


def test_accept_a_friend_request(sandbox, padpro):
    sandbox.control("friend_requests", {"from": "New Person", "text": "hi, it's me"})
    request, _ = wait_for(padpro, FriendRequestEvent)
    assert request.nick_name == "New Person" and request.text == "hi, it's me" and request.ticket
    padpro.accept_friend(request)
    assert "New Person" in {f["nick_name"] for f in sandbox.world()["friends"]}
    assert sandbox.sent()[-1]["kind"] == "verify_user"
    assert any(f.nick_name == "New Person" for f in padpro.friends())


def test_a_logout_from_the_phone_becomes_one_logout_event(sandbox, padpro):
    assert padpro.poll_events(0.2) == []  # the WebSocket is open
    sandbox.control("logout", {})
    event, seen = wait_for(padpro, LogoutEvent)
    assert sum(isinstance(e, LogoutEvent) for e in seen + padpro.poll_events(0.3)) == 1
    assert padpro.login_state() is LoginState.LOGGED_OUT


def test_without_a_websocket_the_http_sync_still_delivers_each_message_once(sandbox, padpro):
    """A proxy in front of the gateway that does not pass WebSockets: the periodic HttpSyncMsg carries on, and the
    driver reports the WebSocket outage (Unavailable when it has nothing to hand over: WeChat shows degraded)."""

    def blocked(url: str, timeout: float):
        raise WsError("WebSocket blocked by a proxy", status=502)

    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY), http_sync_interval=0.2, ws_connect=blocked)
    assert driver.login_state() is LoginState.LOGGED_IN  # the session the fixture logged in
    friend = sandbox.world()["friends"][0]["nick_name"]
    sandbox.control("messages", {"from": friend, "content": "once {n}", "count": 3})
    events, outages = [], []
    for _ in range(12):
        try:
            events += driver.poll_events(0.3)
        except Unavailable as exc:
            outages.append(str(exc))
    assert [e.text for e in events if isinstance(e, MessageEvent)] == ["once 1", "once 2", "once 3"]
    assert not any(isinstance(e, LogoutEvent) for e in events)
    assert outages and "WebSocket" in outages[-1] and GATEWAY_KEY not in outages[-1]


def test_rate_limits_and_bad_keys_map_to_seam_errors(sandbox, padpro):
    sandbox.control("rate_limit", {"sends": 1, "per_seconds": 60})
    friend = padpro.friends()[0]
    padpro.send_text(friend.id, "one")
    with pytest.raises(RateLimited):
        padpro.send_text(friend.id, "two")
    stranger = PadProDriver(GatewayClient(sandbox.base_url, "not-a-key"))
    with pytest.raises(Rejected, match="does not know this key") as caught:
        stranger.login_qr()
    assert "not-a-key" not in str(caught.value)
    assert GATEWAY_KEY not in repr(padpro.client)


def test_images_emoji_and_friend_requests_out(sandbox, padpro):
    friend = padpro.friends()[0]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert padpro.send_image(friend.id, png).msg_id
    assert padpro.send_emoji(friend.id, "0" * 32, 123).msg_id
    stranger = next(m for g in padpro.groups() for m in padpro.group_members(g.id)
                    if m.id not in {f.id for f in padpro.friends()} and m.id != padpro.self_info().id)
    padpro.add_friend(stranger.id, "hello from the bot")
    image, emoji, request = sandbox.sent()[-3:]
    assert (image["kind"], image["size"], image["to"]) == ("image", len(png), friend.nick_name)
    assert (emoji["kind"], emoji["md5"]) == ("emoticon", "0" * 32)
    assert (request["kind"], request["to"], request["verify_content"]) == \
        ("add_friend", stranger.nick_name, "hello from the bot")


def test_a_gateway_outage_loses_nothing_and_is_not_a_logout(sandbox):
    """The connection drops while the gateway answers 500 for a while: the driver backs off, reports the outage
    (Unavailable, never a logout), and after reconnecting delivers what was said meanwhile, once."""
    connections, refused = [], []

    def connect(url: str, timeout: float) -> WsConnection:
        try:
            connections.append(WsConnection.connect(url, timeout))
        except WsError as exc:
            refused.append(exc.status)
            raise
        return connections[-1]

    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY, timeout=5), http_sync_interval=3600,
                          backoff=(0.2, 0.4), ws_connect=connect)
    login(sandbox, driver)
    assert driver.poll_events(0.2) == [] and len(connections) == 1
    sandbox.control("faults", {"mode": "http_500", "duration": 1.0})
    connections[0]._sock.shutdown(socket.SHUT_RDWR)  # the network drops the WebSocket
    friend = sandbox.world()["friends"][0]["nick_name"]
    sandbox.control("messages", {"from": friend, "content": "during {n}", "count": 2})
    events, outages = [], []
    for _ in range(16):
        try:
            events += driver.poll_events(0.25)
        except Unavailable as exc:
            outages.append(str(exc))
        if len(events) >= 2:
            break
    assert [e.text for e in events] == ["during 1", "during 2"]
    assert 500 in refused and len(connections) == 2  # refused during the outage, reconnected after it
    assert outages and "HTTP 500" in outages[0]  # reported while it lasted
    assert not any(isinstance(e, LogoutEvent) for e in events)
    assert driver.poll_events(0.2) == []  # over: no error any more
    driver.close()


def test_a_forgotten_qr_attempt_reads_as_expired(sandbox):
    driver = PadProDriver(GatewayClient(sandbox.base_url, GATEWAY_KEY))
    driver.login_qr()
    sandbox.reset()  # the gateway restarts and forgets the attempt: CheckLoginStatus answers 300 "不存在状态"
    assert driver.login_state() is LoginState.EXPIRED
    assert driver.login_state() is LoginState.LOGGED_OUT  # and then asks GetLoginStatus again
    login(sandbox, driver)
