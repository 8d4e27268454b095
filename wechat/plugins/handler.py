"""The dispatcher's `plugins` handler (priority 100, after the archive and the automation): pick the plugins a
message is for and start them. It only reads (plugins, switches, automation keywords) and spawns: the message loop
waits for nothing but the synchronous plugins, and for those at most their time limit."""

from __future__ import annotations

from typing import Any

from wechat.automation import settings as automation_settings
from wechat.automation.invites import keyword_in_message, keyword_in_request
from wechat.dispatch import BotContext, event_handler, message_handler, on_batch_start
from wechat.plugins import registry
from wechat.plugins.api import PluginCall
from wechat.plugins.matcher import MessageView, select_plugins
from wechat.plugins.runner import run_call


def is_invite_keyword(text: str, msg_type: str, group_patterns: list[list[str]]) -> bool:
    """The automation answers these: a text that is a keyword, or a friend request that mentions one."""
    if msg_type == "Friends":
        return keyword_in_request(text, group_patterns) is not None
    return keyword_in_message(text, group_patterns) is not None


def message_view(msg: Any, bot: Any) -> MessageView:
    return MessageView(text=msg.text or "", msg_type=msg.type or "", chat=msg.chat,
                       is_self=msg.raw.get("FromUserName") == bot.self.user_name)


@on_batch_start("plugins.reload")
def follow_plugin_reloads(ctx: BotContext) -> None:
    """A reload asked in the dashboard (another process) applies from the next batch of messages on."""
    registry.follow_reloads(ctx.app, ctx.state.client)


@message_handler("plugins", priority=100)
def run_plugins(msg: Any, ctx: BotContext) -> None:
    _run_plugins(msg, ctx, lambda: message_view(msg, ctx.bot))


@event_handler("plugins")
def run_plugins_on_event(event: Any, ctx: BotContext) -> None:
    """A seam driver's message: plugins get a SeamMessage (wechat/plugins/seam_message.py)."""
    from drivers.types import MessageEvent
    from wechat.plugins.seam_message import seam_message

    if not isinstance(event, MessageEvent) or not registry.enabled_plugins(ctx.app):
        return
    msg = seam_message(event, ctx.directory())
    is_self = event.sender_id == msg.bot.self.puid
    _run_plugins(msg, ctx, lambda: MessageView(text=msg.text or "", msg_type=msg.type, chat=msg.chat, is_self=is_self))


def _run_plugins(msg: Any, ctx: BotContext, make_view) -> None:
    enabled = registry.enabled_plugins(ctx.app)
    if not enabled:
        return
    account_id = ctx.account_id()
    view = make_view()
    patterns = automation_settings.cached(account_id)["group_patterns"]
    specs = [spec for spec, _ in enabled]
    chosen = select_plugins(specs, view, is_invite_keyword(view.text, view.msg_type, patterns))
    if not chosen:
        return
    values = {spec.name: plugin_settings for spec, plugin_settings in enabled}
    limit = float(ctx.app.config["PLUGIN_TIME_LIMIT"])
    for spec in chosen:
        call = PluginCall(spec=spec, settings=dict(values[spec.name]), account_id=account_id, state=ctx.state,
                          bot=ctx.bot, app=ctx.app, enabled=specs,
                          time_limit=min(limit, spec.time_limit or limit))
        run_call(call, msg)
