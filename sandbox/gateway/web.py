"""The gateway face's HTTP plumbing: the blueprint, ``?key=`` auth, envelopes, request helpers.

Every answer is HTTP 200 with ``{"Code", "Data", "Text"}``: Code 200 success, 300 "not logged in"
(``你已退出微信``) or a refused operation, -2 an unknown key, as the recorded clients expect. The routes
live in ``login``, ``contacts``, ``groups`` and ``messages``; docs/SANDBOX.md ("Gateway face") says which
client each shape comes from.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from sandbox.core import Sandbox
from sandbox.gateway import render
from sandbox.gateway.state import GatewaySession, GatewayState, KeyState
from sandbox.protocol_util import RATE_LIMITED_MSG, RET_RATE_LIMITED, expire_if_old
from sandbox.world import SELF_ID, Group, Person

bp = Blueprint("gateway", __name__)
LOGGED_OUT_TEXT = "你已退出微信"


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def gateway() -> GatewayState:
    return current_app.extensions["sandbox_gateway"]


def envelope(code: int, data: Any = None, text: str = "") -> Response:
    return Response(json.dumps({"Code": code, "Data": data, "Text": text}, ensure_ascii=False),
                    mimetype="application/json")


def ok(data: Any = None) -> Response:
    return envelope(200, data)


def body() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def text_list(value: Any) -> list[str]:
    """A list of ids from a JSON list or a comma-separated string (clients send both)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


@bp.before_request
def check_key() -> Response | None:
    key = request.args.get("key", "")
    state = gateway()
    if request.endpoint in ("gateway.qrcode", "gateway.avatar"):
        return None  # the QR image and head image URLs the gateway hands out carry no key, as on the real gateway
    if request.path.startswith("/admin/"):
        return None if key and key == state.admin_key else envelope(-2, None, "该 key 无效")
    if key not in state.keys:
        return envelope(-2, None, "该 key 无效")
    g.key_state = state.keys[key]
    return None


def key_state() -> KeyState:
    return g.key_state


def live() -> tuple[GatewaySession | None, Response | None]:
    session = key_state().session
    # An iPad login ends by itself too ("新设备登录平台，次日凌晨会掉线一次", GeWe's login docs; sessions kicked after
    # a day or so): past settings.session_lifetime it answers like a logout (POST /_sandbox/sessions/age).
    expire_if_old(session)
    if session is None or not session.alive or session.world is not sandbox().world:
        return None, envelope(300, None, LOGGED_OUT_TEXT)
    return session, None


def limited() -> Response | None:
    if sandbox().limiter.allow():
        return None
    return envelope(300, {"baseResponse": {"ret": RET_RATE_LIMITED, "errMsg": render.s(RATE_LIMITED_MSG)}},
                    RATE_LIMITED_MSG)


def refused(reason: str, ret: int = -1) -> Response:
    return envelope(300, {"baseResponse": {"ret": ret, "errMsg": render.s(reason)}}, reason)


def ok_base(**fields: Any) -> Response:
    """Success with the ``baseResponse`` ret 0 most write endpoints answer, plus ``fields``."""
    return ok({"baseResponse": {"ret": 0, "errMsg": {}}, **fields})


class Answer(Exception):
    """Ends a gateway request early with ``response`` (logged out, refused, rate limited).

    The ``require_*`` helpers raise it so that each endpoint need not repeat ``if error: return error``.
    """

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


@bp.errorhandler(Answer)
def _answer(exc: Answer) -> Response:
    return exc.response


def require_live() -> GatewaySession:
    session, error = live()
    if error:
        raise Answer(error)
    assert session is not None
    return session


def require_allowed() -> None:
    """Counts one operation against the rate limit; over it, the request ends with the limit's answer."""
    limit = limited()
    if limit:
        raise Answer(limit)


def require_group(session: GatewaySession, wxid: Any, joined: bool = False) -> Group:
    """The group ``wxid`` names (one the bot is in, if ``joined``), else a refused "unknown ChatRoomName"."""
    group = group_of(session, wxid)
    if group is None or (joined and not group.has(SELF_ID)):
        raise Answer(refused("unknown ChatRoomName"))
    return group


def entity(session: GatewaySession, wxid: str) -> str | None:
    return session.id_of(str(wxid or "").strip())


def people(session: GatewaySession, wxids: list[str]) -> list[Person] | None:
    world = sandbox().world
    found = [world.people.get(entity(session, w) or "") for w in wxids]
    return None if not found or any(p is None for p in found) else found


def group_of(session: GatewaySession, wxid: Any) -> Group | None:
    return sandbox().world.groups.get(entity(session, str(wxid or "")) or "")
