"""The automation: read each event (drivers.types), pick the rule, hand plain data to `flows`.

Runs in the bot's process inside the dispatcher (wechat/bot/dispatch.py), after the archive and the bookkeeping, on
every driver. Friend requests (accept, keyword invite with overflow into a new numbered group), keyword messages
from friends, join notes in owned groups (welcome), vote-kick and relay in groups, MP article forwarding. Messages
the bot itself sent (including what the owner types on the phone) never trigger a rule: that is what keeps the
relay from relaying its own output.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from drivers.types import FriendRequestEvent, GroupNoteEvent, GroupNoteKind, MessageEvent, MessageKind
from libs.uploads import UploadError, parse_extensions, save_upload, upload_root
from wechat.automation import flows, settings
from wechat.automation.actions import BotActions
from wechat.automation.invites import keyword_in_message
from wechat.automation.naming import GroupInfo, number_of
from wechat.automation.notes import joined_names
from wechat.automation.routing import relay_targets
from wechat.automation.votekick import RedisVoteStore, VoteKick, parse_kick
from wechat.bot.dispatch import BotContext, message_handler

logger = logging.getLogger(__name__)


def cached_settings(ctx: BotContext) -> dict[str, Any]:
    """Settings for this message, re-read from SQL only after they changed (not once per message)."""
    return settings.cached(ctx.account_id())


MEDIA_LABELS = {MessageKind.IMAGE: "图片", MessageKind.VIDEO: "视频", MessageKind.FILE: "文件",
                MessageKind.VOICE: "语音"}


def group_info(directory, group) -> GroupInfo:
    members = directory.members(group.id)
    return GroupInfo(puid=group.id, name=group.name or "", size=len(members) or group.member_count,
                     member_puids=frozenset(m.id for m in members if m.id))


def groups_for(directory) -> Any:
    def lookup(template: str) -> list[GroupInfo]:
        return [group_info(directory, g) for g in directory.groups() if number_of(g.name or "", template) is not None]

    return lookup


def member_infos(directory, group_id: str) -> list[flows.MemberInfo]:
    infos = []
    for member in directory.members(group_id, fresh=True):
        chat = directory.chat(member.id)
        remark = chat.name if chat.kind == "friend" else ""  # the friend's name as the bot sees it (remark first)
        names = frozenset(n for n in (member.nick_name, member.display_name, remark) if n)
        infos.append(flows.MemberInfo(puid=member.id, names=names,
                                      display=member.display_name or member.nick_name or member.id,
                                      is_friend=chat.kind == "friend", display_name=member.display_name or "",
                                      nick_name=member.nick_name or ""))
    return infos


def _owns(directory, group_id: str) -> bool:
    group = directory.group(group_id)
    return group is not None and bool(group.owner_id) and group.owner_id == directory.me().id


def could_trigger(event: Any, current: dict[str, Any], chat_kind: str) -> bool:
    """A cheap test first: most messages trigger no rule, and naming their chat and sender costs lookups."""
    if isinstance(event, FriendRequestEvent | GroupNoteEvent):
        return True
    if not isinstance(event, MessageEvent):
        return False
    if chat_kind == "group":
        if event.kind is MessageKind.SYSTEM or relay_targets(current["relay_sets"], event.chat_id):
            return True
        return event.kind is MessageKind.TEXT and parse_kick(event.text) is not None
    if chat_kind == "mp":
        return any(rule["mp"] == event.chat_id for rule in current["mp_forwarding"])
    return event.kind is MessageKind.TEXT and keyword_in_message(event.text, current["group_patterns"]) is not None


@message_handler("automation", priority=50)
def automate(event, ctx: BotContext) -> None:
    if not isinstance(event, FriendRequestEvent | GroupNoteEvent | MessageEvent):
        return
    directory = ctx.directory()
    if isinstance(event, MessageEvent) and event.sender_id == directory.me().id:
        return
    current = cached_settings(ctx)
    chat_kind = "group" if isinstance(event, MessageEvent) and event.is_group else \
        directory.chat(event.chat_id).kind if isinstance(event, MessageEvent) else ""
    if not could_trigger(event, current, chat_kind):
        return
    account_id = ctx.account_id()
    env = flows.Env(settings=current, actions=BotActions(ctx.bot, account_id), groups_for=groups_for(directory))
    if isinstance(event, FriendRequestEvent):
        flows.handle_friend_request(env, event.user_id, event.user_id, event.nick_name, event.text)
    elif isinstance(event, GroupNoteEvent):
        if event.kind is GroupNoteKind.JOIN and _owns(directory, event.group_id):
            names = list(event.member_names) or joined_names(event.text)
            directory.forget()  # the member lists changed
            # @ them by their group display name where a note names them by nick name.
            names = flows.mention_names(names, member_infos(directory, event.group_id))
            flows.welcome(env, event.group_id, directory.chat(event.group_id, True).name, names)
    elif event.is_group:
        on_group_message(event, env, ctx)
    else:
        chat = directory.chat(event.chat_id)
        if chat.kind == "mp":
            if event.kind is MessageKind.LINK:
                flows.forward_mp_articles(env, chat.id, chat.name, list(event.articles) or [(event.text, event.url)])
        elif chat.kind == "friend" and event.kind is MessageKind.TEXT:
            pattern = keyword_in_message(event.text, env.settings["group_patterns"])
            if pattern is not None:
                flows.invite_by_keyword(env, chat.id, chat.name, pattern, reason=f"keyword {pattern[0]}")


def on_group_message(event: MessageEvent, env: flows.Env, ctx: BotContext) -> None:
    directory = ctx.directory()
    group = directory.chat(event.chat_id, True)
    sender_name = directory.member_name(group.id, event.sender_id) or "?"
    if event.kind is MessageKind.TEXT:
        target = parse_kick(event.text)
        if target is not None and _owns(directory, group.id):
            votes = VoteKick(RedisVoteStore(ctx.state.client, ctx.state.key("automation")),
                             env.settings["kick_quorum"], env.settings["kick_period_minutes"])
            protected = {directory.me().id}
            flows.vote_kick(env, votes, group.id, group.name, event.sender_id, target,
                            member_infos(directory, group.id), protected)
            return
        flows.relay(env, group.id, group.name, sender_name, event.text)
    elif event.kind is MessageKind.LINK:
        flows.relay(env, group.id, group.name, sender_name, f"{event.text}\n{event.url}".strip())
    elif event.kind in MEDIA_LABELS and relay_targets(env.settings["relay_sets"], group.id):
        # The file the archive kept (it ran first, within the media limits); its label when it was not kept.
        upload_id = store_archived_media(ctx.account_id(), event.msg_id, event.file_name, event.kind.value)
        flows.relay(env, group.id, group.name, sender_name, "" if upload_id else f"[{MEDIA_LABELS[event.kind]}]",
                    files=[upload_id] if upload_id else None)


def store_archived_media(account_id: int, msg_id: str, file_name: str | None, what: str) -> str | None:
    """The archived file of message `msg_id` as an upload id, so a send job can re-send it (paced, resumable);
    None when it was not kept.

    The file is the one the archive saved (it runs first, streaming within the media limits): nothing is
    downloaded a second time, and media the archive skipped is relayed as a text label. Content we would refuse
    from an admin (executables, HTML...) is refused here too."""
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
