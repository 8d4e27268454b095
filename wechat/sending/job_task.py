"""Wiring a send job to the live bot: resolve attachments, send through bot_commands, pace with the settings."""

from __future__ import annotations

import time
from collections.abc import Callable

from libs import metrics
from libs.uploads import resolve_upload, upload_root
from wechat import control
from wechat.bot import runtime
from wechat.bot.command_runner import CommandError, commands_for
from wechat.sending.jobs import JobRunner
from wechat.sending.lane import SendLane
from wechat.sending.pacing import Pacer


def check_upload(upload_id: str) -> str:
    """The job's attachment still exists (else the job fails before sending anything); send_message resolves the id
    again itself, so only ids travel to it."""
    return resolve_upload(upload_root(), upload_id).id


def run_job(job_id: int, config, keep_alive: Callable[[], object]) -> str:
    def send(to: str, text: str, files: list[str], msg_ids: list[int]) -> None:
        keep_alive()
        account = control.current_account()
        bot = runtime.current_bot(account)
        result = commands_for(bot)["send_message"](bot, to=to, text=text, files=files, msg_ids=msg_ids)
        metrics.incr("sends_ok" if result.get("ok") else "sends_failed", account=account)
        if not result.get("ok"):
            raise CommandError(result.get("error", "wechat_error"), result.get("message", ""))

    def sleep(seconds: float) -> None:
        # Pauses (and rate-limit back-offs) can outlast the job's lease: renew it while waiting.
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 1.0))
            keep_alive()

    pacer = Pacer(config["SEND_DELAY_MIN"], config["SEND_DELAY_MAX"], sleep=sleep)
    state = control.bot_state()
    lane = SendLane(state.client, state.key("send_lane"), pacer)
    return JobRunner(job_id, send, check_upload, pacer, config["SEND_RATE_LIMIT_BACKOFF"], lane).run()
