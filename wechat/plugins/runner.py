"""Running one plugin call: in its own greenlet, with a time limit, its failures reported, its reply paced.

- The call gets its own app context (its own DB session) and `current_call()`.
- `gevent.Timeout` ends a call that waits too long (network, sleep: everything gevent can interrupt); a
  `run_async = False` plugin is also waited for at most the limit by the message loop, then abandoned. CPU-bound
  code that never yields cannot be interrupted by gevent; the autoreply regexes therefore run with the `regex`
  package's own time-out.
- A call that raises or times out is logged and kept as the plugin's last error (GET /api/plugins); the listener
  and the other plugins go on.
- A truthy result is the reply: a send job to the chat (reason "plugin <name>"), the same paced path as every
  automated send, audited as `plugin.reply`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from flask import g

from extensions import db
from models.audit import record
from wechat.control import enqueue_send_job
from wechat.plugins.api import PluginCall
from wechat.plugins.registry import record_error
from wechat.sending.jobs import MAX_TEXT, JobInvalid, create_send_job

logger = logging.getLogger(__name__)

JOIN_GRACE = 0.5  # how much longer than the limit the message loop waits for a synchronous plugin


class PluginTimeout(Exception):
    pass


def reply_text(result: Any) -> str:
    return (result if isinstance(result, str) else str(result))[:MAX_TEXT]


def send_reply(call: PluginCall, msg: Any, result: Any) -> int | None:
    chat_puid = getattr(getattr(msg, "chat", None), "puid", None)
    text = reply_text(result)
    if not chat_puid or not text.strip():
        return None
    reason = f"plugin {call.name}"
    try:
        job = create_send_job([chat_puid], text, [], created_by="bot", reason=reason, account_id=call.account_id)
    except JobInvalid as exc:
        db.session.rollback()
        logger.warning("plugin %s reply not sent: %s", call.name, exc)
        return None
    db.session.flush()
    record("bot", "plugin.reply", target=chat_puid, reason=reason, detail={"job": job.id, "message": str(msg.id)},
           account_id=call.account_id)
    db.session.commit()
    enqueue_send_job(job.id, call.app)
    return job.id


def _fail(call: PluginCall, message: str) -> None:
    logger.warning("plugin %s failed: %s", call.name, message)
    record_error(call.name, message)


def _body(call: PluginCall, msg: Any) -> None:
    with call.app.app_context():
        g.wechat_plugin_call = call
        started = time.monotonic()
        try:
            with gevent.Timeout(call.time_limit, PluginTimeout()):
                result = call.spec.main(msg)
            if result:
                send_reply(call, msg, result)
        except PluginTimeout:
            _fail(call, f"timed out after {call.time_limit:g}s (message {getattr(msg, 'id', '?')})")
        except Exception as exc:
            logger.exception("plugin %s raised on message %s", call.name, getattr(msg, "id", "?"))
            _fail(call, f"{type(exc).__name__}: {exc}")
        finally:
            logger.debug("plugin %s took %.2fs", call.name, time.monotonic() - started)


def run_call(call: PluginCall, msg: Any) -> gevent.Greenlet:
    """Start the call; wait for it (bounded) only when the plugin is synchronous (`run_async = False`)."""
    greenlet = gevent.spawn(_body, call, msg)
    if not call.spec.run_async:
        greenlet.join(call.time_limit + JOIN_GRACE)
        if not greenlet.dead:
            greenlet.kill(block=False)
            _fail(call, f"did not finish within {call.time_limit:g}s; abandoned")
    return greenlet
