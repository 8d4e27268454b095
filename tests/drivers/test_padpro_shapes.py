"""The padpro driver's parsing, on response shapes recorded by open-source clients of the 8059-era API.

Each fixture names the repository and file it was copied from (values shortened, ids anonymised there).
"""

from __future__ import annotations

import json

import pytest

from drivers.group_notes import group_dissolved
from drivers.padpro import shapes, xmlsafe
from drivers.padpro.events import to_events
from drivers.padpro.inbox import Inbox
from drivers.types import (
    Contact,
    FriendRequestEvent,
    Group,
    GroupNoteEvent,
    GroupNoteKind,
    LoginState,
    MessageEvent,
    MessageKind,
    NotLoggedIn,
    RateLimited,
    RecallEvent,
    Rejected,
    Unavailable,
)

ME = "wxid_upf0exaush5322"

# mounten2657/smplote utils/wechat/vpwechat/factory/vp_client_factory.py, get_login_status docstring
LOGIN_STATUS = {"Code": 200, "Data": {"loginState": 1, "expiryTime": "2026-05-17", "loginErrMsg": "账号在线状态良好！",
                                      "loginJournal": {"count": 0, "logs": []}, "loginTime": "2025-05-17 05:38:56",
                                      "onlineDays": 0, "proxyUrl": "", "targetIp": "223.152.206.237:8849"},
                "Text": ""}
# langbot-app/LangBot libs/wechatpad_api/api/login.py, get_login_qr docstring
LOGIN_QR = {"Code": 200, "Data": {"Key": "3141312", "QrCodeUrl": "https://1231x/g6bMlv2dX8zwNbqE6-Zs",
                                  "Txt": "建议返回data=之后内容自定义生成二维码", "baseResp": {"ret": 0, "errMsg": {}}},
            "Text": ""}
# mounten2657/smplote vp_client_factory.py, send_text_message docstring
SEND_TEXT = {"Code": 200, "Data": [{"isSendSuccess": True, "resp": {}, "textContent": "Hello World",
                                    "toUSerName": "xxx"}], "Text": ""}
# mounten2657/smplote vp_client_factory.py, get_friend_info docstring
FRIEND_INFO = {"Code": 200, "Data": {"contactCount": 1, "contactList": [{
    "userName": {"str": "wxid_xxx"}, "nickName": {"str": "x"}, "quanPin": {"str": "ci"}, "sex": 1,
    "remark": {"str": "🏅x"}, "contactType": 0, "province": "Offaly", "signature": "花开花落花相似，人来人往人不同",
    "alias": "weixinhao", "country": "IE", "encryptUserName": "v3_020b38@stranger", "deleteFlag": 0,
    "description": "ID：似水流年", "labelIdlist": "13", "extFlag": 0}], "ret": "AA=="}, "Text": ""}
# mounten2657/smplote vp_client_factory.py, get_room_info docstring
ROOM_INFO = {"Code": 200, "Data": {"contactCount": 1, "contactList": [{
    "userName": {"str": "xxx@chatroom"}, "nickName": {"str": "robot"}, "quanPin": {"str": "robot"},
    "chatRoomOwner": "wxid_xxx", "chatroomVersion": 10007, "chatroomMaxCount": 500,
    "newChatroomData": {"member_count": 2, "chatroom_member_list": [
        {"user_name": "wxid_xxx", "nick_name": "xxx", "chatroom_member_flag": 1, "unknow": "wxid_xxx"}]},
    "deleteFlag": 0, "chatroomStatus": 524288, "extFlag": 0}], "ret": "AA=="}, "Text": ""}
# mounten2657/smplote vp_client_factory.py, get_room_user_list docstring
ROOM_MEMBERS = {"Code": 200, "Data": {"base_response": {"ret": 0, "errMsg": {}}, "chatroom_wxid": "xxx@chatroom",
                                      "client_version": 10007, "member_data": {"member_count": 20,
                                      "chatroom_member_list": [{"user_name": "wxid_xxx", "nick_name": "xxx",
                                                                "display_name": "🥇xxx", "chatroom_member_flag": 1}],
                                      "info_mask": 0, "unknow": {}}}, "Text": ""}


def ws_message(**fields):
    """The WebSocket message fields AstrBot (wechatpadpro_adapter.py) and nekro-agent (realtime_processor.py) read."""
    base = {"msg_id": 1946895099, "from_user_name": {"str": "wxid_14up8o14zvhv22"}, "to_user_name": {"str": ME},
            "msg_type": 1, "content": {"str": "test私信消息"}, "status": 3, "img_status": 1, "img_buf": {"len": 0},
            "create_time": 1740026948, "msg_source": "<msgsource>\n\t<pua>1</pua>\n</msgsource>\n",
            "push_content": "A ME : test私信消息", "new_msg_id": 346853901463423953, "msg_seq": 852214713}
    return {**base, **fields}


def test_envelopes_map_gateway_codes_to_seam_errors():
    assert shapes.envelope(LOGIN_STATUS)["loginState"] == 1
    assert shapes.envelope({"Success": True, "Data": [1]}) == [1]
    # LangBot pkg/platform/sources/wechatpad.py: {"Code": 300, "Text": "你已退出微信"} once logged out.
    with pytest.raises(NotLoggedIn):
        shapes.envelope({"Code": 300, "Data": None, "Text": "你已退出微信"})
    # AstrBot wechatpadpro_adapter.py: Code -2 for an unknown key ("该 key 无效").
    with pytest.raises(Rejected, match="does not know this key"):
        shapes.envelope({"Code": -2, "Data": None, "Text": "该 key 无效"})
    with pytest.raises(RateLimited):
        shapes.envelope({"Code": 300, "Data": {"baseResponse": {"ret": 1205}}, "Text": "操作太频繁，请稍后再试。"})
    with pytest.raises(Rejected, match="unknown ChatRoomName"):
        shapes.envelope({"Code": 300, "Data": None, "Text": "unknown ChatRoomName"})
    for garbage in ([], "x", {"Data": 1}):
        with pytest.raises(Unavailable):
            shapes.envelope(garbage)


def test_login_answers():
    qr = shapes.login_qr(shapes.envelope(LOGIN_QR))
    assert qr.payload == "https://1231x/g6bMlv2dX8zwNbqE6-Zs" and qr.uuid == "g6bMlv2dX8zwNbqE6-Zs"
    qr = shapes.login_qr({"QrCodeUrl": "https://api.qr/create/?data=http://weixin.qq.com/x/AbC", "Key": "k"})
    assert qr.payload == "http://weixin.qq.com/x/AbC" and qr.uuid == "AbC"
    # AstrBot: CheckLoginStatus Data.state 2 with wxid/wxnewpass once in, -2 when the QR code expired.
    assert shapes.login_check({"state": 2, "wxid": ME, "wxnewpass": "x"}) == (LoginState.LOGGED_IN, ME)
    assert shapes.login_check({"state": -2})[0] is LoginState.EXPIRED
    assert shapes.login_status(shapes.envelope(LOGIN_STATUS)) is LoginState.LOGGED_IN
    assert shapes.login_status({"loginState": 3}) is LoginState.LOGGED_OUT
    # AstrBot reads Data.authKeys, LangBot Data[0]: both shapes give the key.
    assert shapes.auth_keys(["k1"]) == shapes.auth_keys({"authKeys": ["k1"]}) == ["k1"]
    # LangBot: GetProfile Data.userInfo.userName.str / nickName.str
    me = shapes.profile({"userInfo": {"userName": {"str": ME}, "nickName": {"str": "机器人"}}})
    assert (me.id, me.nick_name) == (ME, "机器人")


def test_contacts_groups_and_members():
    [friend] = [shapes.contact(c) for c in shapes.contact_details(shapes.envelope(FRIEND_INFO))]
    assert friend == Contact(id="wxid_xxx", nick_name="x", remark_name="🏅x", alias="weixinhao", sex=1,
                             province="Offaly", signature="花开花落花相似，人来人往人不同")
    [group] = [shapes.contact(c) for c in shapes.contact_details(shapes.envelope(ROOM_INFO))]
    assert isinstance(group, Group) and group.owner_id == "wxid_xxx" and group.member_count == 2
    assert group.members[0].id == "wxid_xxx"
    [member] = shapes.members(shapes.envelope(ROOM_MEMBERS))
    assert (member.id, member.nick_name, member.display_name) == ("wxid_xxx", "xxx", "🥇xxx")
    # A fork's spelling (LangBot's Gewe-style client): NewChatroomData.ChatRoomMember with CamelCase fields.
    [other] = shapes.members({"NewChatroomData": {"ChatRoomMember": [{"UserName": "wxid_b", "NickName": "B"}]}})
    assert other.id == "wxid_b"
    # AstrBot: GetContactList Data.ContactList.contactUsernameList
    assert shapes.contact_usernames({"ContactList": {"contactUsernameList": ["a", "b@chatroom", "gh_c"]}}) == \
        ["a", "b@chatroom", "gh_c"]


def test_send_answers():
    assert shapes.send_result(shapes.envelope(SEND_TEXT)) == ""
    ack = [{"isSendSuccess": True, "resp": {"chatSendRetList": [{"newMsgId": 42, "msgId": 7}]}}]
    assert shapes.send_result(ack) == "42"
    with pytest.raises(Rejected, match="unknown ToUserName"):
        shapes.send_result([{"isSendSuccess": False, "errMsg": "unknown ToUserName"}])
    assert shapes.created_group({"ChatRoomName": {"str": "1@chatroom"}}) == "1@chatroom"
    assert shapes.created_group({"chat_room_name": "2@chatroom"}) == "2@chatroom"
    assert shapes.synced_messages({"AddMsgs": [ws_message()]}) == [ws_message()]
    assert shapes.synced_messages([ws_message()]) == [ws_message()]


def test_private_and_group_text_messages():
    [private] = to_events(ws_message(), ME)
    assert private == MessageEvent(
        msg_id="346853901463423953", kind=MessageKind.TEXT, chat_id="wxid_14up8o14zvhv22",
        sender_id="wxid_14up8o14zvhv22", is_group=False, text="test私信消息", create_time=1740026948,
        raw_type=1, raw="test私信消息")
    # AstrBot: group content is "sender:\n text"; <atuserlist> in msg_source names who is mentioned.
    [grouped] = to_events(ws_message(from_user_name={"str": "123@chatroom"}, content={"str": "wxid_a:\n@bot hi"},
                                     msg_source=f"<msgsource><atuserlist>{ME},wxid_b</atuserlist></msgsource>"), ME)
    assert (grouped.chat_id, grouped.sender_id, grouped.text) == ("123@chatroom", "wxid_a", "@bot hi")
    assert grouped.mentions_self and grouped.mentioned_ids == (ME, "wxid_b")
    # OnesZhang/gewechaty message_example.md: CamelCase fields with {"string": …} wrappers, wrapped in Data.
    [camel] = to_events({"TypeName": "AddMsg", "Data": {
        "MsgId": 1646391156, "FromUserName": {"string": "wxid_14up8o14zvhv22"}, "ToUserName": {"string": ME},
        "MsgType": 1, "Content": {"string": "test私信消息"}, "CreateTime": 1740026948,
        "NewMsgId": "346853901463423953"}}, ME)
    assert camel.msg_id == private.msg_id and camel.text == private.text


def test_media_and_app_messages():
    # gewechaty message_example.md: a voice message's XML.
    voice = ('<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="2303" '
             'length="3304" bufid="0" aeskey="ae53" voiceurl="3052" fromusername="wxid_14up8o14zvhv22" /></msg>')
    assert to_events(ws_message(msg_type=34, content={"str": voice}), ME)[0].kind is MessageKind.VOICE
    image = '<?xml version="1.0"?>\n<msg><img aeskey="k" md5="abc" length="10" cdnthumburl="x" /></msg>'
    [img] = to_events(ws_message(msg_type=3, content={"str": image}), ME)
    assert img.kind is MessageKind.IMAGE and img.md5 == "abc"
    file_xml = ("<msg><appmsg><title>report.pdf</title><type>6</type><appattach><totallen>2048</totallen>"
                "<fileext>pdf</fileext></appattach><md5>m</md5></appmsg></msg>")
    [file_] = to_events(ws_message(msg_type=49, content={"str": file_xml}), ME)
    assert (file_.kind, file_.file_name, file_.file_size, file_.app_type) == (MessageKind.FILE, "report.pdf", 2048, 6)
    link = "<msg><appmsg><title>A &amp; B</title><type>5</type><url>https://mp.weixin.qq.com/s/x</url></appmsg></msg>"
    [article] = to_events(ws_message(msg_type=49, content={"str": link}), ME)
    assert (article.kind, article.text, article.url) == (MessageKind.LINK, "A & B", "https://mp.weixin.qq.com/s/x")
    assert to_events(ws_message(msg_type=51), ME) == []  # status notify: nothing for the product


def test_friend_requests_recalls_and_group_notes():
    request = ('<msg fromusername="wxid_new" encryptusername="v3_abc@stranger" fromnickname="New &quot;One&quot;" '
               'content="hi" scene="30" ticket="v4_def@stranger" opcode="2" />')
    [req] = to_events(ws_message(msg_type=37, from_user_name={"str": "fmessage"}, content={"str": request}), ME)
    assert req == FriendRequestEvent(msg_id="346853901463423953", user_id="wxid_new", nick_name='New "One"',
                                     text="hi", ticket="v4_def@stranger", encrypt_user="v3_abc@stranger", scene=30,
                                     create_time=1740026948)
    revoke = ('123@chatroom:\n<sysmsg type="revokemsg"><revokemsg><session>123@chatroom</session><msgid>1</msgid>'
              '<newmsgid>987</newmsgid><replacemsg><![CDATA["Bob" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>')
    [recall] = to_events(ws_message(msg_type=10002, from_user_name={"str": "123@chatroom"},
                                    content={"str": revoke}), ME)
    assert recall == RecallEvent(msg_id="346853901463423953", chat_id="123@chatroom", recalled_msg_id="987",
                                 text='"Bob" 撤回了一条消息', create_time=1740026948)
    # 5201213/wechatpadpro-on-wechat channel/wxpad/wxpad_message.py: join notes as sysmsgtemplate.
    template = ('<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profilewithrevoke">'
                '<plain><![CDATA[]]></plain><template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template>'
                '<link_list><link name="names" type="link_profile"><memberlist><member><username>wxid_j</username>'
                '<nickname>Joiner</nickname></member></memberlist><separator>、</separator></link></link_list>'
                '</content_template></sysmsgtemplate></sysmsg>')
    [note] = to_events(ws_message(msg_type=10002, from_user_name={"str": "123@chatroom"},
                                  content={"str": template}), ME)
    assert isinstance(note, GroupNoteEvent) and note.kind is GroupNoteKind.JOIN
    assert (note.member_ids, note.member_names) == (("wxid_j",), ("Joiner",))
    # GeWe's recorded dissolve callback (10002 sysmsgtemplate naming the owner): a note the product reads.
    dissolved = ('123@chatroom:\n<sysmsg type="sysmsgtemplate"><sysmsgtemplate>'
                 '<content_template type="new_tmpl_type_succeed_contact"><plain><![CDATA[]]></plain>'
                 '<template><![CDATA[群主"$identity$"已解散该群聊]]></template><link_list>'
                 '<link name="identity" type="link_profile"><memberlist><member><username><![CDATA[wxid_o]]></username>'
                 '<nickname><![CDATA[朝夕。]]></nickname></member></memberlist></link></link_list>'
                 '</content_template></sysmsgtemplate></sysmsg>')
    [gone] = to_events(ws_message(msg_type=10002, from_user_name={"str": "123@chatroom"},
                                  content={"str": dissolved}), ME)
    assert isinstance(gone, GroupNoteEvent) and gone.group_id == "123@chatroom"
    assert gone.text == '群主"朝夕。"已解散该群聊' and group_dissolved(gone.text)
    # The sandbox's (and web WeChat's) plain 10000 notes.
    for text, kind, names in (('"A"邀请"B"、"C"加入了群聊', GroupNoteKind.JOIN, ("B", "C")),
                              ('"D"通过扫描"A"分享的二维码加入群聊', GroupNoteKind.JOIN, ("D",)),
                              ('你将"E"移出了群聊', GroupNoteKind.LEAVE, ("E",)),
                              ("你修改群名为“新名字”", GroupNoteKind.RENAME, ()),
                              # English notes and stray spaces, as wechaty's firer.spec.ts records them
                              ('"凌" invited "庆次、小桔妹" to the group chat', GroupNoteKind.JOIN, ("庆次", "小桔妹")),
                              ("You invited 管理员 to the group chat.   ", GroupNoteKind.JOIN, ("管理员",)),
                              ('" 桔小秘" joined the group chat via the QR Code shared by "李佳芮".',
                               GroupNoteKind.JOIN, ("桔小秘",)),
                              ('" 桔小秘"通过扫描"李佳芮"分享的二维码加入群聊', GroupNoteKind.JOIN, ("桔小秘",)),
                              ('You removed "Bruce LEE" from the group chat', GroupNoteKind.LEAVE, ("Bruce LEE",))):
        [event] = to_events(ws_message(msg_type=10000, from_user_name={"str": "123@chatroom"},
                                       content={"str": text}), ME)
        assert (event.kind, event.member_names) == (kind, names)
    # The bot's own removal: it is the one who left (before: the remover was reported as leaving).
    for text in ('你被"李佳芮"移出群聊', 'You were removed from the group chat by "桔小秘"'):
        [event] = to_events(ws_message(msg_type=10000, from_user_name={"str": "123@chatroom"},
                                       content={"str": text}), ME)
        assert (event.kind, event.member_ids, event.member_names) == (GroupNoteKind.LEAVE, (ME,), ())


@pytest.mark.parametrize("hostile", [
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><msg><appmsg><title>&lol2;</title>'
    "<type>5</type></appmsg></msg>",
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><msg><appmsg><title>&xxe;</title></appmsg></msg>',
    "<msg><appmsg><title>" + "x" * (xmlsafe.MAX_XML + 1) + "</title></appmsg></msg>",
    "<msg><appmsg><title>unclosed",
    "not xml at all",
])
def test_hostile_xml_is_never_expanded_and_never_raises(hostile):
    [event] = to_events(ws_message(msg_type=49, content={"str": hostile}), ME)
    assert event.kind is MessageKind.OTHER and event.text == "" and "lol" not in event.text


def test_malformed_messages_are_dropped_quietly():
    assert to_events({}, ME) == []
    assert to_events({"Data": "x"}, ME) == []
    assert to_events(ws_message(msg_type="x"), ME)[0].kind is MessageKind.OTHER


class FakeWs:
    """A transport that delivers canned frames (the same message twice, as after a WebSocket reconnect)."""

    def __init__(self, frames):
        self.frames = list(frames)

    def recv(self, timeout):
        return self.frames.pop(0) if self.frames else None

    def close(self):
        pass


class FakeClient:
    connect_timeout = 1.0

    def ws_url(self) -> str:
        return "ws://gateway.invalid/ws/GetSyncMsg?key=k"


def test_a_message_seen_twice_is_reported_once():
    frame = json.dumps(ws_message())
    inbox = Inbox(FakeClient(), ws_connect=lambda url, timeout: FakeWs([frame, "not json", frame, "[1, null]"]))
    events = inbox.poll(0.05)
    assert [e.msg_id for e in events] == ["346853901463423953"]
