"""``PadProDriver``: the seam's ``Driver`` over a WeChatPadPro-style gateway.

Events: the WebSocket (``/ws/GetSyncMsg``) is read inside ``poll_events``; when it drops the driver
reconnects with back-off, asks ``GetLoginStatus`` whether the account is still in (a logout or kick
becomes one ``LogoutEvent``), and every ``http_sync_interval`` seconds ``HttpSyncMsg`` runs as a safety
net. Messages are deduplicated by their server id, so a message seen on both paths is reported once.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from drivers.padpro import shapes
from drivers.padpro.client import GatewayClient
from drivers.padpro.events import to_events
from drivers.padpro.ws import WsConnection, WsError
from drivers.types import (
    Capability,
    Contact,
    ContactKind,
    DriverError,
    Event,
    FriendRequestEvent,
    Group,
    IdStability,
    LoginQr,
    LoginState,
    LoginStateEvent,
    LogoutEvent,
    Member,
    Mention,
    NotLoggedIn,
    Rejected,
    SelfInfo,
    SendResult,
    Unsupported,
)

logger = logging.getLogger(__name__)

CAPABILITIES = (Capability.SEND_TEXT | Capability.SEND_MENTION | Capability.SEND_IMAGE | Capability.SEND_EMOJI
                | Capability.ACCEPT_FRIEND | Capability.ADD_FRIEND | Capability.CREATE_GROUP
                | Capability.RENAME_GROUP | Capability.ADD_MEMBERS | Capability.INVITE_MEMBERS
                | Capability.REMOVE_MEMBERS | Capability.ANNOUNCEMENT | Capability.SET_REMARK
                | Capability.RECEIVE_RECALLS)
# No SEND_FILE: none of the recorded clients sends files through the 8059-era API, so its upload
# endpoint's shapes are unknown; the product greys "send file" out on this driver instead of guessing.
DETAILS_BATCH = 20
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
MENTION_SEPARATOR = "\u2005"  # what WeChat clients put after "@name"


class PadProDriver:
    name = "padpro"
    capabilities = CAPABILITIES
    id_stability = IdStability.STABLE

    def __init__(self, client: GatewayClient, *, http_sync_interval: float = 30.0,
                 backoff: Sequence[float] = BACKOFF, dedupe_size: int = 20_000, details_batch: int = DETAILS_BATCH,
                 ws_connect: Callable[[str, float], WsConnection] = WsConnection.connect,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.http_sync_interval = http_sync_interval
        self.backoff = tuple(backoff)
        self.details_batch = details_batch
        self._ws_connect = ws_connect
        self._clock = clock
        self._ws: WsConnection | None = None
        self._failures = 0
        self._next_connect = 0.0
        self._next_http_sync = 0.0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_size = dedupe_size
        self._self_id = ""
        self._qr_pending = False
        self._logged_in = False

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
                self._on_login(wxid)
            elif state is LoginState.EXPIRED:
                self._qr_pending = False
            return state
        try:
            state = shapes.login_status(self.client.get("/login/GetLoginStatus"))
        except NotLoggedIn:
            state = LoginState.LOGGED_OUT
        if state is LoginState.LOGGED_IN and not self._logged_in:
            self._on_login("")
        return state

    def _on_login(self, wxid: str) -> None:
        self._logged_in = True
        self._self_id = wxid or self._self_id
        self._failures, self._next_connect, self._next_http_sync = 0, 0.0, 0.0

    def logout(self) -> None:
        try:
            self.client.get("/login/LogOut")
        finally:
            self._logged_in = False
            self._drop_ws()

    # -- who and what ----------------------------------------------------------------------------------
    def self_info(self) -> SelfInfo:
        info = shapes.profile(self.client.get("/user/GetProfile"))
        self._self_id = info.id
        return info

    def _contacts(self) -> list[Contact | Group]:
        names = shapes.contact_usernames(self.client.post(
            "/friend/GetContactList", {"CurrentWxcontactSeq": 0, "CurrentChatRoomContactSeq": 0}))
        found: list[Contact | Group] = []
        for batch in shapes.chunks(list(dict.fromkeys(names)), self.details_batch):
            data = self.client.post("/friend/GetContactDetailsList", {"UserNames": batch, "RoomWxIDList": []})
            found += [c for c in map(shapes.contact, shapes.contact_details(data)) if c is not None]
        return found

    def friends(self) -> list[Contact]:
        return [c for c in self._contacts() if isinstance(c, Contact) and c.kind is ContactKind.FRIEND
                and c.id != self._self_id]

    def mps(self) -> list[Contact]:
        return [c for c in self._contacts() if isinstance(c, Contact) and c.kind is ContactKind.MP]

    def groups(self) -> list[Group]:
        return [c for c in self._contacts() if isinstance(c, Group)]

    def group_members(self, group_id: str) -> list[Member]:
        return shapes.members(self.client.post("/group/GetChatroomMemberDetail", {"ChatRoomName": group_id}))

    # -- events ----------------------------------------------------------------------------------------
    def poll_events(self, timeout: float) -> list[Event]:
        deadline = self._clock() + timeout
        events: list[Event] = []
        if self._clock() >= self._next_http_sync and self._logged_in:
            events += self._http_sync()
        while not events and self._clock() < deadline:
            if self._ws is None:
                if self._clock() < self._next_connect:
                    time.sleep(max(0.0, min(deadline, self._next_connect) - self._clock()))
                    continue
                events += self._connect()
                continue
            try:
                frame = self._ws.recv(max(0.0, deadline - self._clock()))
                while frame is not None:
                    events += self._frame_events(frame)
                    frame = self._ws.recv(0.0)  # drain what already arrived, then hand the batch over
            except WsError as exc:
                logger.info("gateway WebSocket dropped: %s", exc)
                self._drop_ws()
                events += self._after_drop()
        return events

    def _connect(self) -> list[Event]:
        try:
            self._ws = self._ws_connect(self.client.ws_url(), self.client.connect_timeout)
            self._failures = 0
            return []
        except WsError as exc:
            logger.info("gateway WebSocket connect failed: %s", exc)
            return self._after_drop()

    def _after_drop(self) -> list[Event]:
        """Back off, and tell a lost session (logout, kick) from a network blip."""
        delay = self.backoff[min(self._failures, len(self.backoff) - 1)]
        self._failures += 1
        self._next_connect = self._clock() + delay
        try:
            state = shapes.login_status(self.client.get("/login/GetLoginStatus"))
        except NotLoggedIn:
            state = LoginState.LOGGED_OUT
        except DriverError:
            return []  # the gateway itself is down: keep retrying, the session may be fine
        if state is LoginState.LOGGED_OUT and self._logged_in:
            self._logged_in = False
            return [LoginStateEvent(LoginState.LOGGED_OUT), LogoutEvent("the gateway reports the account offline")]
        return []

    def _http_sync(self) -> list[Event]:
        self._next_http_sync = self._clock() + self.http_sync_interval
        try:
            raw = shapes.synced_messages(self.client.post("/message/HttpSyncMsg", {"Count": 0}))
        except NotLoggedIn:
            return self._after_drop()
        except DriverError as exc:
            logger.info("gateway HTTP sync failed: %s", exc)
            return []
        return [e for message in raw for e in self._fresh(to_events(message, self._self_id))]

    def _frame_events(self, frame: str) -> list[Event]:
        try:
            payload = json.loads(frame)
        except ValueError:
            logger.info("gateway sent a frame that is not JSON (%d characters)", len(frame))
            return []
        messages = payload if isinstance(payload, list) else [payload]
        return [e for m in messages if isinstance(m, dict) for e in self._fresh(to_events(m, self._self_id))]

    def _fresh(self, events: list[Event]) -> list[Event]:
        fresh = []
        for event in events:
            msg_id = getattr(event, "msg_id", "")
            if msg_id:
                if msg_id in self._seen:
                    continue
                self._seen[msg_id] = None
                if len(self._seen) > self._dedupe_size:
                    self._seen.popitem(last=False)
            fresh.append(event)
        return fresh

    def _drop_ws(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

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
        raise Unsupported("the padpro driver cannot send files (the gateway's upload API is not recorded)")

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
        return shapes.created_group(self.client.post("/group/CreateChatRoom",
                                                     {"TopIc": name, "UserList": list(member_ids)}))

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
        self._drop_ws()
        self.client.close()


