"""The itchat driver (wxpy/itchat: web and UOS login), with every repair the product made to that stack.

| module | what it holds |
|---|---|
| ``connection`` | the wxpy Bot: held loop (``release()``), indexed messages, batch-end hooks, session files |
| ``compat`` | repairs itchat 1.2.32 / wxpy 0.3.9.8 need on Python 3.11 and against the real service |
| ``resilience`` | an outage is a retry, never a logout; the synccheck pause on empty selectors |
| ``loops`` | ``LoopGate``: stop the core's loops or replace the QR code from another thread |
| ``checkpoint`` | the SyncKey saved only past messages already handled (a crash re-delivers) |
| ``session_file`` | itchat.pkl / puid.pkl private, and loaded from one place only |
| ``puid_map`` | the indexed puid map (Alias-keyed, no namesake merges) |
| ``contacts`` | the contact refresh (paged, batchgetcontact capped, merged like itchat) |
| ``directory`` | fast chat lookups by UserName for every message |
| ``inbound`` | guards on hostile inbound text and XML |
| ``events`` | a wxpy Message → the seam's neutral event (ids = puids) |
| ``media`` | streamed media downloads with a size cap |
| ``sender`` | text and media sends with a ClientMsgId per part |
| ``login_mode`` | web or UOS login, and the refusals WeChat answers with |
| ``group_errors`` | what web WeChat's answers to group operations mean |
| ``driver`` | ``ItchatDriver``: the seam's ``Driver`` over the logged-in Bot (ids = puids) |

Product code reaches these only through ``wechat/bot/driver_factory.py`` (the one product module that imports a driver
package) and the public names below; they resolve on first use, so importing the package never imports wxpy.
"""

from __future__ import annotations

import importlib
from typing import Any

from drivers.types import Capability, IdStability

NAME = "itchat"
# Web WeChat has no announcement API and no real @mention (typed "@name" only).
CAPABILITIES = (Capability.SEND_TEXT | Capability.SEND_IMAGE | Capability.SEND_FILE | Capability.SEND_EMOJI
                | Capability.ACCEPT_FRIEND | Capability.ADD_FRIEND | Capability.CREATE_GROUP
                | Capability.RENAME_GROUP | Capability.ADD_MEMBERS | Capability.INVITE_MEMBERS
                | Capability.REMOVE_MEMBERS | Capability.SET_REMARK | Capability.RECEIVE_RECALLS
                | Capability.DOWNLOAD_MEDIA)
ID_STABILITY = IdStability.PER_LOGIN  # UserNames change per login: the product maps them to puids

# Public name -> the module of this package that defines it.
_PUBLIC = {
    "ItchatDriver": "driver", "driver_for": "driver",
    "ChatDirectory": "directory", "ChatInfo": "directory", "WxpyChats": "directory",
    "ConnectionFailed": "connection", "SessionFiles": "connection", "configure_itchat": "connection",
    "create_bot": "connection", "save_session": "connection",
    "SyncCheckpoint": "checkpoint",
    "LoginRefused": "login_mode", "refusal_after_login": "login_mode",
    "LoopGate": "loops", "LoopStopped": "loops",
    "MediaTooLarge": "media", "download_message_media": "media",
    "SendFailed": "sender", "client_msg_id": "sender", "send_media": "sender", "send_text": "sender",
    "refresh_contacts": "contacts", "MEMBER_BATCH": "contacts",
    "mp_articles": "inbound",
    "to_event": "events", "to_events": "events", "SYSTEM_TYPE": "events",
    "IndexedPuidMap": "puid_map",
    "apply_compat": "compat",
    "install_resilience": "resilience", "watch_connection": "resilience",
}
# Names that differ from the defining module's own.
_RENAMED = {"apply_compat": "apply", "install_resilience": "install", "watch_connection": "watch"}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), _RENAMED.get(name, name))
    globals()[name] = value
    return value


__all__ = ["CAPABILITIES", "ID_STABILITY", "NAME", *_PUBLIC]
