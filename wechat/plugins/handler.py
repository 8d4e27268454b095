"""The dispatcher's `plugins` handler (priority 100, after the archive and the automation): pick the plugins a
message is for and start them. It only reads (plugins, switches, automation keywords) and spawns: the message loop
waits for nothing but the synchronous plugins, and for those at most their time limit."""

from __future__ import annotations

import logging
from typing import Any

from drivers.types import MessageEvent
from wechat.automation import settings as automation_settings
from wechat.automation.invites import keyword_in_message, keyword_in_request
from wechat.bot.dispatch import BotContext, message_handler, on_batch_start
from wechat.plugins import registry
from wechat.plugins.api import PluginCall
from wechat.plugins.matcher import MessageView, select_plugins
from wechat.plugins.runner import run_call
from wechat.plugins.seam_message import SeamMessage, seam_message
from wechat.plugins.spec import PluginSpec

logger = logging.getLogger(__name__)


def is_invite_keyword(text: str, msg_type: str, group_patterns: list[list[str]]) -> bool:
    """The automation answers these: a text that is a keyword, or a friend request that mentions one."""
    if msg_type == "Friends":
        return keyword_in_request(text, group_patterns) is not None
    return keyword_in_message(text, group_patterns) is not None


def wanted(spec: PluginSpec, account_id: int) -> bool:
    """The plugin's own cheap check that it has work on this account. A check that raises counts as wanted (and is
    logged): the plugin's `main` and its error report stay the judge."""
    if spec.wanted is None:
        return True
    try:
        return bool(spec.wanted(account_id))
    except Exception:
        logger.exception("plugin %s: wanted(%s) raised; calling the plugin", spec.name, account_id)
        return True


@on_batch_start("plugins.reload")
def follow_plugin_reloads(ctx: BotContext) -> None:
    """A reload asked in the dashboard (another process) applies from the next batch of messages on."""
    registry.follow_reloads(ctx.app, ctx.state.client)


@message_handler("plugins", priority=100)
def run_plugins(event: Any, ctx: BotContext) -> None:
    """Plugins see messages. A plugin for the community interface gets the protocol's own message where the
    driver keeps one (the itchat driver's wxpy Message, `event.native`: friend requests and notes included, as
    before the seam), else the neutral SeamMessage; a `neutral` plugin always gets the SeamMessage."""
    native = getattr(event, "native", None)
    if native is None and not isinstance(event, MessageEvent):
        return
    enabled = registry.enabled_plugins(ctx.app)
    if not enabled:
        return
    directory = ctx.directory()
    seam: list[SeamMessage] = []

    def neutral() -> SeamMessage:  # built once, and only when a plugin takes it
        if not seam:
            seam.append(seam_message(event, directory))
        return seam[0]

    if native is not None:  # match on what the plugin will read (wxpy type names, chat classes)
        sender = getattr(event, "sender_id", None)
        view = MessageView(text=native.text if isinstance(native.text, str) else "", msg_type=native.type or "",
                           chat=native.chat, is_self=sender is not None and sender == directory.me().id)
    else:
        msg = neutral()
        view = MessageView(text=msg.text or "", msg_type=msg.type, chat=msg.chat,
                           is_self=event.sender_id == msg.bot.self.puid)
    account_id = ctx.account_id()
    patterns = automation_settings.cached(account_id)["group_patterns"]
    specs = [spec for spec, _ in enabled]
    chosen = [spec for spec in select_plugins(specs, view, is_invite_keyword(view.text, view.msg_type, patterns))
              if wanted(spec, account_id)]
    if not chosen:
        return
    values = {spec.name: plugin_settings for spec, plugin_settings in enabled}
    limit = float(ctx.app.config["PLUGIN_TIME_LIMIT"])
    for spec in chosen:
        if (spec.neutral or native is None) and not isinstance(event, MessageEvent):
            continue  # the neutral message is a chat message's
        call = PluginCall(spec=spec, settings=dict(values[spec.name]), account_id=account_id, state=ctx.state,
                          bot=ctx.bot, app=ctx.app, enabled=specs,
                          time_limit=min(limit, spec.time_limit or limit))
        run_call(call, native if native is not None and not spec.neutral else neutral())
