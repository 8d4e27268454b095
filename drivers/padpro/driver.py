"""``PadProDriver``: the seam's ``Driver`` over a WeChatPadPro-style gateway.

Commands and listings are single HTTP calls (``client``); events come from the ``Inbox`` (WebSocket,
back-off, logout detection, HTTP safety net, dedupe).
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape

from drivers.padpro import media, shapes
from drivers.padpro.client import GatewayClient
from drivers.padpro.inbox import BACKOFF, Inbox
from drivers.padpro.ws import WsConnection
from drivers.types import (
    Capability,
    Contact,
    ContactKind,
    Event,
    FriendRequestEvent,
    Group,
    GroupLeftEvent,
    IdStability,
    LoginQr,
    LoginState,
    Member,
    Mention,
    MessageEvent,
    NotLoggedIn,
    Rejected,
    SelfInfo,
    SendResult,
)

CAPABILITIES = (Capability.SEND_TEXT | Capability.SEND_MENTION | Capability.SEND_IMAGE | Capability.SEND_FILE
                | Capability.SEND_EMOJI | Capability.ACCEPT_FRIEND | Capability.ADD_FRIEND | Capability.CREATE_GROUP
                | Capability.RENAME_GROUP | Capability.ADD_MEMBERS | Capability.INVITE_MEMBERS
                | Capability.REMOVE_MEMBERS | Capability.ANNOUNCEMENT | Capability.SET_REMARK
                | Capability.RECEIVE_RECALLS | Capability.DOWNLOAD_MEDIA | Capability.AVATARS)
DETAILS_BATCH = 20
MENTION_SEPARATOR = "\u2005"  # what WeChat clients put after "@name"
SEEN_GROUPS = 5000  # groups learned from events, kept for listing


class PadProDriver:
    name = "padpro"
    capabilities = CAPABILITIES
    id_stability = IdStability.STABLE

    def __init__(self, client: GatewayClient, *, http_sync_interval: float = 30.0,
                 backoff: Sequence[float] = BACKOFF, dedupe_size: int = 20_000, details_batch: int = DETAILS_BATCH,
                 ws_connect: Callable[[str, float], WsConnection] = WsConnection.connect) -> None:
        self.client = client
        self.details_batch = details_batch
        self.inbox = Inbox(client, http_sync_interval=http_sync_interval, backoff=backoff,
                           dedupe_size=dedupe_size, ws_connect=ws_connect)
        self._qr_pending = False
        # Groups seen in events: like web WeChat's, the gateway's contact list holds only the groups saved to
        # contacts, so the others are learned from their messages and notes and listed from then on (bounded).
        self._seen_groups: OrderedDict[str, None] = OrderedDict()
        self._learning = threading.RLock()  # the receiver thread and listings (sync, commands) both learn

    # -- login ------------------------------------------------------------------------------------------
    def login_qr(self) -> LoginQr:
        qr = shapes.login_qr(self.client.post("/login/GetLoginQrCodeNew", {"Check": False, "Proxy": ""}))
        self._qr_pending = True
        return qr

    def login_state(self) -> LoginState:
        if self._qr_pending:
            try:
                state, wxid = shapes.login_check(self.client.get("/login/CheckLoginStatus"))
            except (NotLoggedIn, Rejected) as exc:  # Code 300 "不存在状态": the gateway forgot the QR attempt
                if exc.code != 300:
                    raise
                state, wxid = LoginState.EXPIRED, ""
            if state is LoginState.LOGGED_IN:
                self._qr_pending = False
                self.inbox.logged_in_as(wxid, fresh=True)
                if not self.inbox.self_id:
                    self.self_info()
                self.inbox.prime()
            elif state is LoginState.EXPIRED:
                self._qr_pending = False
            return state
        try:
            state = shapes.login_status(self.client.get("/login/GetLoginStatus"))
        except NotLoggedIn:
            state = LoginState.LOGGED_OUT
        primed = state is LoginState.LOGGED_IN and not self.inbox.logged_in
        if primed:
            self.inbox.logged_in_as("")
        if state is LoginState.LOGGED_IN and not self.inbox.self_id:
            self.self_info()  # events need the account's wxid (own messages, mentions)
        if primed:
            self.inbox.prime()
        return state

    def logout(self) -> None:
        try:
            self.client.get("/login/LogOut")
        finally:
            self.inbox.logged_in = False
            self.inbox.close()

    # -- who and what ----------------------------------------------------------------------------------
    def self_info(self) -> SelfInfo:
        info = shapes.profile(self.client.get("/user/GetProfile"))
        self.inbox.self_id = info.id
        return info

    def _contacts(self, kind: ContactKind) -> list[Contact | Group]:
        """Details of the contact list's entries of one kind (told apart by id, so only those are fetched)."""
        names = shapes.contact_usernames(self.client.post(
            "/friend/GetContactList", {"CurrentWxcontactSeq": 0, "CurrentChatRoomContactSeq": 0}))
        listed = set(names)
        if kind is ContactKind.GROUP:
            self._learn_notified()
            with self._learning:
                names += list(self._seen_groups)
        wanted = [n for n in dict.fromkeys(names) if shapes.kind_of(n) is kind and n != self.inbox.self_id]
        found: list[Contact | Group] = []
        for batch in shapes.chunks(wanted, self.details_batch):
            data = self.client.post("/friend/GetContactDetailsList", {"UserNames": batch, "RoomWxIDList": []})
            found += [c for c in map(shapes.contact, shapes.contact_details(data)) if c is not None]
        return [c for c in found if c.id in listed or not self._left(c)]

    def _left(self, contact: Contact | Group) -> bool:
        """A learned group whose details list members without the bot: it left (or was removed); listed no more."""
        if not isinstance(contact, Group) or not contact.members or not self.inbox.self_id:
            return False
        if any(member.id == self.inbox.self_id for member in contact.members):
            return False
        with self._learning:
            self._seen_groups.pop(contact.id, None)
        return True

    def friends(self) -> list[Contact]:
        return [c for c in self._contacts(ContactKind.FRIEND) if isinstance(c, Contact)]

    def mps(self) -> list[Contact]:
        return [c for c in self._contacts(ContactKind.MP) if isinstance(c, Contact)]

    def groups(self) -> list[Group]:
        return [c for c in self._contacts(ContactKind.GROUP) if isinstance(c, Group)]

    def group_members(self, group_id: str) -> list[Member]:
        found = shapes.members(self.client.post("/group/GetChatroomMemberDetail", {"ChatRoomName": group_id}))
        if found:
            self._learn_group(group_id)  # a group the gateway answers for exists, listed or not
        return found

    # -- events ----------------------------------------------------------------------------------------
    def poll_events(self, timeout: float) -> list[Event]:
        events = self.inbox.poll(timeout)
        self._learn_notified()
        for event in events:
            if isinstance(event, GroupLeftEvent):  # the service says the bot is out: listed no more
                with self._learning:
                    self._seen_groups.pop(event.group_id, None)
                continue
            self._learn_group(getattr(event, "group_id", "") or getattr(event, "chat_id", ""))
        return events

    def resume_from(self, checkpoint: str | None) -> None:
        """Optional seam member: sync first from the product's last acknowledged checkpoint (``inbox``)."""
        self.inbox.resume_from(checkpoint)

    def acknowledge(self) -> str | None:
        """Optional seam member: everything ``poll_events`` returned is stored; the checkpoint to keep, or None."""
        return self.inbox.acknowledge()

    def _learn_notified(self) -> None:
        """The phone's recent chats (type-51 status notify), taken from the inbox by the receiver or a listing."""
        with self._learning:
            notified, self.inbox.notified = self.inbox.notified, []
            for chat_id in notified:
                self._learn_group(chat_id)

    def _learn_group(self, chat_id: str) -> None:
        if not chat_id.endswith("@chatroom") or chat_id in self._seen_groups:
            return
        with self._learning:
            self._seen_groups[chat_id] = None
            if len(self._seen_groups) > SEEN_GROUPS:
                self._seen_groups.popitem(last=False)

    # -- commands --------------------------------------------------------------------------------------
    def send_text(self, to_id: str, text: str, mentions: Sequence[Mention] = ()) -> SendResult:
        missing = "".join(f"@{m.name}{MENTION_SEPARATOR}" for m in mentions if f"@{m.name}" not in text)
        item = {"ToUserName": to_id, "TextContent": missing + text, "MsgType": 1,
                "AtWxIDList": [m.id for m in mentions], "ImageContent": ""}
        return SendResult(shapes.send_result(self.client.post("/message/SendTextMessage", {"MsgItem": [item]})))

    def send_image(self, to_id: str, data: bytes, file_name: str = "image.png") -> SendResult:
        item = {"ToUserName": to_id, "ImageContent": base64.b64encode(data).decode(), "MsgType": 3,
                "TextContent": "", "AtWxIDList": []}
        return SendResult(shapes.send_result(self.client.post("/message/SendImageNewMessage", {"MsgItem": [item]},
                                                              timeout=60.0)))

    def send_file(self, to_id: str, data: bytes, file_name: str) -> SendResult:
        """``/other/UploadAppAttach`` (base64 ``fileData`` → ``mediaId``), then an appmsg of type 6 through
        ``/message/SendAppMessage``, as the CowAgent-family ``Wechat869Client.send_file_message`` does."""
        if not data:
            raise Rejected("an empty file cannot be sent")
        upload = self.client.post("/other/UploadAppAttach", {"fileData": base64.b64encode(data).decode()},
                                  timeout=120.0)
        media_id = shapes.text(shapes.pick(upload, "mediaId", "MediaId", "media_id", "attachId", default=""))
        if not media_id:
            raise Rejected("the gateway did not report the uploaded file's id")
        total = shapes.integer(shapes.pick(upload, "totalLen", "TotalLen", default=len(data)), len(data))
        name = file_name.replace("\r", " ").replace("\n", " ")[:200] or "file"
        ext = name.rsplit(".", 1)[-1][:16] if "." in name else ""
        xml = (f"<appmsg appid='' sdkver='0'><title>{xml_escape(name)}</title><des></des><type>6</type>"
               f"<appattach><totallen>{total}</totallen><attachid>{xml_escape(media_id)}</attachid>"
               f"<fileext>{xml_escape(ext)}</fileext></appattach></appmsg>")
        body = {"AppList": [{"ToUserName": to_id, "ContentType": 6, "ContentXML": xml}]}
        return SendResult(shapes.send_result(self.client.post("/message/SendAppMessage", body)))

    def download_media(self, event: MessageEvent, sink: BinaryIO, max_bytes: int) -> int:
        return media.download(self.client, event, sink, max_bytes)

    def send_emoji(self, to_id: str, md5: str, size: int) -> SendResult:
        body = {"EmojiList": [{"ToUserName": to_id, "EmojiMd5": md5, "EmojiSize": int(size)}]}
        return SendResult(shapes.send_result(self.client.post("/message/SendEmojiMessage", body)))

    def accept_friend(self, request: FriendRequestEvent) -> None:
        self.client.post("/friend/VerifyUser", {
            "OpCode": 3, "Scene": request.scene or 3, "V3": request.encrypt_user or request.user_id,
            "V4": request.ticket, "VerifyContent": "", "ChatRoomUserName": ""})

    def add_friend(self, user_id: str, text: str = "") -> None:
        self.client.post("/friend/VerifyUser", {"OpCode": 2, "Scene": 3, "V3": user_id, "V4": "",
                                                "VerifyContent": text, "ChatRoomUserName": ""})

    def create_group(self, name: str, member_ids: Sequence[str]) -> str:
        group_id = shapes.created_group(self.client.post("/group/CreateChatRoom",
                                                         {"TopIc": name, "UserList": list(member_ids)}))
        self._learn_group(group_id)  # a new group is not saved to contacts either
        return group_id

    def rename_group(self, group_id: str, name: str) -> None:
        self.client.post("/group/SetChatroomName", {"ChatRoomName": group_id, "Nickname": name})

    def add_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        self.client.post("/group/AddChatRoomMembers", {"ChatRoomName": group_id, "UserList": list(member_ids)})

    def invite_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        self.client.post("/group/InviteChatroomMembers", {"ChatRoomName": group_id, "UserList": list(member_ids)})

    def remove_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        self.client.post("/group/SendDelDelChatRoomMember",
                         {"ChatRoomName": group_id, "UserList": list(member_ids)})

    def set_announcement(self, group_id: str, text: str) -> None:
        self.client.post("/group/SetChatroomAnnouncement", {"ChatRoomName": group_id, "Content": text})

    def set_remark(self, user_id: str, remark: str) -> None:
        self.client.post("/user/ModifyRemark", {"UserName": user_id, "RemarkName": remark})

    def close(self) -> None:
        self.inbox.close()
        self.client.close()


