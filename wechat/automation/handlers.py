"""The automation's wxpy side: read each message, pick the rule, hand plain data to `flows`.

Runs in the bot's process inside the dispatcher (wechat/dispatch.py), after the archive and the bookkeeping.
Messages the bot itself sent (including what the owner types on the phone) never trigger a rule: that is what
keeps the relay from relaying its own output (an echo of a relayed message looks like any other message of ours).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from wxpy import MP, Friend, Group

from libs.uploads import UploadError, parse_extensions, save_upload, upload_root
from wechat.automation import flows, settings
from wechat.automation.actions import BotActions
from wechat.automation.invites import keyword_in_message
from wechat.automation.naming import GroupInfo, number_of
from wechat.automation.notes import joined_names
from wechat.automation.routing import relay_targets
from wechat.automation.votekick import RedisVoteStore, VoteKick, parse_kick
from wechat.dispatch import BotContext, message_handler
from wechat.driver_factory import itchat
from wechat.sync.group_presence import numbered_groups

logger = logging.getLogger(__name__)

MEDIA_TYPES = {"Picture": "图片", "Video": "视频", "Attachment": "文件", "Recording": "语音"}


def group_info(group, with_members: bool = True) -> GroupInfo:
    members = group.members
    puids = frozenset(m.puid for m in members if m.puid) if with_members else frozenset()
    return GroupInfo(puid=group.puid, name=group.name or "", size=len(members), member_puids=puids)


def groups_for(bot, account_id: int) -> Any:
    """Numbered groups from the database (the bot's live list lacks groups not saved to contacts, and inviting
    from it opened a duplicate "…1群"), refreshed by the live view where the bot has one."""
    def lookup(template: str) -> list[GroupInfo]:
        live = [group_info(g) for g in bot.groups() if number_of(g.name or "", template) is not None]
        return numbered_groups(account_id, template, live)

    return lookup


def member_infos(bot, group) -> list[flows.MemberInfo]:
    friends = {f.puid: f for f in bot.friends()}
    infos = []
    for member in group.members:
        puid = member.puid
        if not puid:
            continue
        friend = friends.get(puid)
        names = frozenset(n for n in (member.nick_name, member.display_name, member.name) if n)
        infos.append(flows.MemberInfo(puid=puid, names=names, display=member.name or member.nick_name or puid,
                                      is_friend=friend is not None,
                                      remark=(friend.remark_name or "") if friend is not None else "",
                                      display_name=member.display_name or "", nick_name=member.nick_name or ""))
    return infos


def cached_settings(ctx: BotContext) -> dict[str, Any]:
    """Settings for this message, re-read from SQL only after they changed (not once per message)."""
    return settings.cached(ctx.account_id())


def could_trigger(raw: dict, current: dict[str, Any], chat: itchat.ChatInfo) -> bool:
    """A cheap test on the raw message: most messages trigger no rule, and building wxpy's chat objects for
    them costs milliseconds on a large account."""
    if raw.get("MsgType") == 37:
        return True
    if chat.kind == "group":
        if raw.get("MsgType") == 10000 or relay_targets(current["relay_sets"], chat.puid or ""):
            return True
        return raw.get("Type") == "Text" and parse_kick(raw.get("Text") or "") is not None
    if chat.kind == "mp":
        return any(rule["mp"] == chat.puid for rule in current["mp_forwarding"])
    return raw.get("Type") == "Text" and keyword_in_message(raw.get("Text") or "", current["group_patterns"]) \
        is not None


@message_handler("automation", priority=50)
def automate(msg, ctx: BotContext) -> None:
    bot = ctx.bot
    raw = msg.raw
    if raw.get("FromUserName") == bot.self.user_name:
        return
    current = cached_settings(ctx)
    if not could_trigger(raw, current, ctx.directory().chat(raw.get("FromUserName") or "", lambda: msg.chat)):
        return
    account_id = ctx.account_id()
    env = flows.Env(settings=current, actions=BotActions(bot, account_id), groups_for=groups_for(bot, account_id))
    if raw.get("MsgType") == 37:
        card = msg.card
        flows.handle_friend_request(env, card.puid, card.puid, card.nick_name or "", msg.text or "")
        return
    chat = msg.chat
    if isinstance(chat, Group):
        on_group_message(msg, chat, env, ctx)
    elif isinstance(chat, MP):
        on_mp_message(msg, chat, env)
    elif isinstance(chat, Friend) and msg.type == "Text":
        pattern = keyword_in_message(msg.text or "", env.settings["group_patterns"])
        if pattern is not None:
            flows.invite_by_keyword(env, chat.puid, chat.name, pattern, reason=f"keyword {pattern[0]}")


def on_group_message(msg, group, env: flows.Env, ctx: BotContext) -> None:
    if msg.type in ("Note", "System") or msg.raw.get("MsgType") == 10000:
        names = joined_names(msg.text or "")
        if names and group.is_owner:
            flows.welcome(env, group.puid, group.name, flows.mention_names(names, member_infos(ctx.bot, group)))
        return
    member = msg.member
    sender_name = member.name if member is not None else "?"
    if msg.type == "Text":
        target = parse_kick(msg.text or "")
        if target is not None and group.is_owner and member is not None:
            votes = VoteKick(RedisVoteStore(ctx.state.client, ctx.state.key("automation")),
                             env.settings["kick_quorum"], env.settings["kick_period_minutes"])
            protected = {bot_puid for bot_puid in (ctx.bot.self.puid,) if bot_puid}
            owner = group.owner
            if owner is not None and owner.puid:
                protected.add(owner.puid)
            flows.vote_kick(env, votes, group.puid, group.name, member.puid, target, member_infos(ctx.bot, group),
                            protected)
            return
        flows.relay(env, group.puid, group.name, sender_name, msg.text or "")
    elif msg.type == "Sharing":
        flows.relay(env, group.puid, group.name, sender_name, f"{msg.text or ''}\n{msg.url or ''}".strip())
    elif msg.type in MEDIA_TYPES and relay_targets(env.settings["relay_sets"], group.puid):
        upload_id = store_media(msg, ctx.account_id())
        label = MEDIA_TYPES[msg.type]
        flows.relay(env, group.puid, group.name, sender_name, "" if upload_id else f"[{label}]",
                    files=[upload_id] if upload_id else None)


def on_mp_message(msg, mp, env: flows.Env) -> None:
    if msg.type != "Sharing":
        return
    articles = itchat.mp_articles(msg.raw.get("Content"))  # not wxpy's msg.articles: it parses with no limits
    if not articles:
        articles = [(msg.text or "", msg.url or "")]
    flows.forward_mp_articles(env, mp.puid, mp.name, articles)


def store_media(msg, account_id: int) -> str | None:
    """Keep a message's file as an upload, so a send job can re-send it (paced, resumable).

    The file is the one the archive saved (it runs first, streaming within the media limits;
    wechat/messages/archive.py):
    nothing is downloaded a second time, and media the archive skipped is relayed as a text label. Content we
    would refuse from an admin (executables, HTML...) is refused here too.
    """
    from wechat.messages.archive import wechat_msg_id

    return store_archived_media(account_id, wechat_msg_id(msg.raw), msg.file_name, msg.type)


def store_archived_media(account_id: int, msg_id: str, file_name: str | None, what: str) -> str | None:
    """The archived file of message `msg_id` as an upload id (see `store_media`); None when it was not kept."""
    from extensions import db
    from libs.files import inside
    from models.message import Message
    from wechat.messages.archive import media_root

    row = db.session.execute(db.select(Message.file_path, Message.file_name).where(
        Message.account_id == account_id, Message.msg_id == msg_id)).first() if msg_id else None
    path = inside(media_root(), row.file_path) if row is not None and row.file_path else None
    if path is None:
        logger.info("not relaying the %s itself: the archive did not keep it", what)
        return None
    try:
        allowed = parse_extensions(current_app.config["UPLOAD_ALLOWED_EXTENSIONS"])
        with open(path, "rb") as handle:
            stored = save_upload(upload_root(), handle, row.file_name or file_name or path.name, allowed)
    except (UploadError, ValueError, OSError) as exc:
        logger.info("not relaying the %s itself: %s", what, exc)
        return None
    return stored.id
