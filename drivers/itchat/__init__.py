"""The itchat driver (wxpy/itchat: web and UOS login): what it can do and how stable its ids are.

Its code still lives in libs/wx (connection, compat and resilience repairs, indexed puid map, held loop,
checkpointed SyncKey, loop gate, streamed media, session-file protections, inbound guards) and runs the wxpy path
of wechat/listener.py beside the seam; moving it here behind an ``ItchatDriver`` is the next step (docs/DRIVERS.md).
"""

from drivers.types import Capability, IdStability

NAME = "itchat"
# Web WeChat has no announcement API and no real @mention (typed "@name" only).
CAPABILITIES = (Capability.SEND_TEXT | Capability.SEND_IMAGE | Capability.SEND_FILE | Capability.SEND_EMOJI
                | Capability.ACCEPT_FRIEND | Capability.ADD_FRIEND | Capability.CREATE_GROUP
                | Capability.RENAME_GROUP | Capability.ADD_MEMBERS | Capability.INVITE_MEMBERS
                | Capability.REMOVE_MEMBERS | Capability.SET_REMARK | Capability.RECEIVE_RECALLS)
ID_STABILITY = IdStability.PER_LOGIN  # UserNames change per login: the product maps them to puids

__all__ = ["CAPABILITIES", "ID_STABILITY", "NAME"]
