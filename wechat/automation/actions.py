"""Doing things as the bot, for the rules: paced sends, paced group operations, and the audit trail.

- Sends go through send jobs (create_send_job + enqueue_send_job), the same paced, resumable path as bulk sends:
  the handler never sends inline, so a burst of automation cannot outrun the anti-ban delays.
- Group operations (accept, invite/add, create, remove, remark) run inline — the handler already runs in the
  process holding the bot, and the next step needs their result — but wait for the same random delay between
  each other (one pacer per process, as there is one bot per process).
- Every action is written to the audit log with actor "bot" and the reason, in the same commit as its effect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from extensions import db
from models.audit import record
from wechat.bot import command_runner as bot_commands
from wechat.bot.command_runner import CommandError
from wechat.control import enqueue_send_job
from wechat.sending.jobs import RATE_LIMIT_RETRIES, JobInvalid, create_send_job
from wechat.sending.pacing import Pacer

logger = logging.getLogger(__name__)

ACTOR = "bot"


class GroupOpPacer:
    """Keeps a random gap (SEND_DELAY_MIN..MAX) between consecutive group operations of this process, and backs off
    after a rate-limit answer the way send jobs do (SEND_RATE_LIMIT_BACKOFF, doubling)."""

    def __init__(self, pacer: Pacer, clock=time.monotonic, backoff_base: float = 5.0) -> None:
        self.pacer = pacer
        self.clock = clock
        self.backoff_base = backoff_base
        self.last: float | None = None
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            if self.last is not None:
                remaining = self.pacer.next_delay() - (self.clock() - self.last)
                if remaining > 0:
                    self.pacer.sleep(remaining)
            self.last = self.clock()

    def backoff(self, attempt: int) -> float:
        return self.pacer.backoff(attempt, base=self.backoff_base)


_pacer: GroupOpPacer | None = None


def group_op_pacer() -> GroupOpPacer:
    global _pacer
    if _pacer is None:
        config = current_app.config
        _pacer = GroupOpPacer(Pacer(config["SEND_DELAY_MIN"], config["SEND_DELAY_MAX"]),
                              backoff_base=config["SEND_RATE_LIMIT_BACKOFF"])
    return _pacer


class BotActions:
    """What a rule may do, bound to one bot and account."""

    def __init__(self, bot: Any, account_id: int, pacer: GroupOpPacer | None = None) -> None:
        self.bot = bot
        self.account_id = account_id
        self.pacer = pacer or group_op_pacer()

    # -- audit -------------------------------------------------------------------------------------------------
    def audit(self, action: str, target: str | None, reason: str, **detail: Any) -> None:
        record(ACTOR, action, target=target, reason=reason, detail=detail or None, account_id=self.account_id)
        db.session.commit()

    # -- sends -------------------------------------------------------------------------------------------------
    def send(self, recipients: list[str], text: str, reason: str, files: list[str] | None = None,
             action: str = "automation.send", target: str | None = None, **detail: Any) -> int | None:
        """Queue a paced send job and audit it; returns the job id (None when there was nothing valid to send)."""
        try:
            job = create_send_job(recipients, text, files or [], created_by=ACTOR, reason=reason,
                                  account_id=self.account_id)
        except JobInvalid as exc:
            db.session.rollback()
            logger.warning("automation send skipped (%s): %s", reason, exc)
            return None
        db.session.flush()
        record(ACTOR, action, target=target or ",".join(recipients)[:255], reason=reason,
               detail={"job": job.id, **detail}, account_id=self.account_id)
        db.session.commit()
        enqueue_send_job(job.id)
        return job.id

    # -- group operations --------------------------------------------------------------------------------------
    def _op(self, op: str | Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """One group operation through the connection's bot command (wechat/bot/commands.py, every driver).
        "Too frequent" (1205, or Ret 1 "操作太频繁" for group operations) is retried after the same back-off as
        sends, then raised with its reason; a capability the driver lacks is skipped with an audit entry and
        reported to the flow like any refusal."""
        command = bot_commands.commands_for(self.bot)[op] if isinstance(op, str) else op
        name = getattr(command, "__name__", str(op))
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            self.pacer.wait()
            try:
                return command(self.bot, **kwargs)
            except CommandError as exc:
                if exc.code == "unsupported":
                    self.audit("automation.skipped", name, "the driver cannot do this", error=exc.message)
                if exc.code != "rate_limited" or attempt == RATE_LIMIT_RETRIES:
                    raise
                logger.info("%s: WeChat says too frequent; retry %s of %s", name, attempt + 1, RATE_LIMIT_RETRIES)
                self.pacer.backoff(attempt)
        raise AssertionError("unreachable")

    def accept_friend(self, user_name: str) -> dict[str, Any]:
        return self._op("accept_friend", user_name=user_name)

    def add_to_group(self, group: str, person: str) -> dict[str, Any]:
        """Direct add up to 40 members, an invitation above (bot_commands decides from the group's size)."""
        return self._op("add_members", group=group, members=[person])

    def create_group(self, members: list[str], topic: str) -> dict[str, Any]:
        return self._op("create_group", members=members, topic=topic)

    def remove_member(self, group: str, member: str) -> dict[str, Any]:
        return self._op("remove_members", group=group, members=[member])

    def set_remark(self, puid: str, remark: str) -> dict[str, Any]:
        return self._op("set_remark", puid=puid, remark=remark)


__all__ = ["ACTOR", "BotActions", "CommandError", "GroupOpPacer", "group_op_pacer"]
