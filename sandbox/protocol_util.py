"""Small helpers shared by the web-WeChat route modules: the request's session, JSON answers, recipients."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Response, current_app, request

from sandbox.core import Sandbox
from sandbox.session import RET_LOGGED_OUT, Session
from sandbox.world import FILEHELPER, SELF_ID, Group, Person

RET_RATE_LIMITED = 1205
# Sending to someone who is not a friend (a group member) or to oneself (wxpy issue 141, openwechat issue 110).
RET_NOT_REACHABLE = 1204
RATE_LIMITED_MSG = "操作太频繁，请稍后再试。"


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def body() -> dict[str, Any]:
    """The JSON body: itchat sends 'ContentType' instead of 'Content-Type', so never trust the mimetype."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def answer(ret: int = 0, err_msg: str = "", reason: str = "", **fields: Any) -> Response:
    payload: dict[str, Any] = {"BaseResponse": {"Ret": ret, "ErrMsg": err_msg}}
    if reason:
        payload["SandboxReason"] = reason  # not in the real protocol: explains a failure to humans
    payload.update(fields)
    return Response(json.dumps(payload, ensure_ascii=False), mimetype="application/json")


def find_session(data: dict[str, Any] | None = None) -> Session | None:
    base = (data or {}).get("BaseRequest") or {}
    sid = str(base.get("Sid") or request.args.get("sid") or request.cookies.get("wxsid") or "")
    skey = str(base.get("Skey") or request.args.get("skey") or "")
    return sandbox().logins.find(sid=sid, skey=skey)


def expire_if_old(session: Session | None) -> None:
    """Real web sessions end by themselves after a day or three (retcode 1100; ItChat and wechaty threads on 掉线):
    settings.session_lifetime seconds after login here (POST /_sandbox/sessions/age moves time on)."""
    lifetime = sandbox().settings.session_lifetime
    if session is not None and session.alive and lifetime and time.time() - session.created > lifetime:
        session.ended = RET_LOGGED_OUT


def live_session(data: dict[str, Any] | None = None) -> tuple[Session | None, Response | None]:
    """The caller's live session, or the error answer the real service gives a dead one."""
    session = find_session(data)
    expire_if_old(session)
    if session is None:
        return None, answer(RET_LOGGED_OUT, reason="no such session")
    if not session.alive:
        return None, answer(session.ended or RET_LOGGED_OUT, reason="session ended")
    return session, None


def resolve(session: Session, user_name: str) -> str | None:
    """Stable id for a UserName of this session (including filehelper), if the world still has it."""
    entity_id = session.id_of(user_name)
    if entity_id is None:
        return None
    if entity_id == FILEHELPER or sandbox().world.entity(entity_id) is not None:
        return entity_id
    return None


def people(session: Session, user_names: list[str]) -> list[Person] | None:
    world = sandbox().world
    found = []
    for name in user_names:
        entity_id = session.id_of(name.strip())
        if entity_id not in world.people:
            return None
        found.append(world.people[entity_id])
    return found


def group_of(session: Session, user_name: str) -> Group | None:
    entity_id = session.id_of(user_name)
    return sandbox().world.groups.get(entity_id or "")


def rate_limited() -> Response | None:
    if sandbox().limiter.allow():
        return None
    return answer(RET_RATE_LIMITED, RATE_LIMITED_MSG, reason="rate limit", MsgID="", LocalID="")


def unreachable(to_id: str) -> Response | None:
    """The real service delivers only to friends, groups, MPs and the file helper: a stranger (a group member
    who is not a friend) or the bot itself gets Ret 1204."""
    if to_id == SELF_ID:
        return answer(RET_NOT_REACHABLE, reason="sending to oneself", MsgID="", LocalID="")
    person = sandbox().world.people.get(to_id)
    if person is not None and not person.is_friend:
        return answer(RET_NOT_REACHABLE, reason="not a friend", MsgID="", LocalID="")
    return None
