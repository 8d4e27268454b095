"""The automation on a seam driver's events (drivers.types): the same flows as the wxpy side (handlers.py),
fed with the neutral data instead of wxpy messages.

Friend requests (accept, keyword invite with overflow into a new numbered group), keyword messages from friends,
join notes in owned groups (welcome), vote-kick and relay in groups, MP article forwarding. Messages the bot itself
sent never trigger a rule (the relay must not relay its own output).
"""

from __future__ import annotations

from typing import Any

from drivers.types import FriendRequestEvent, GroupNoteEvent, GroupNoteKind, MessageEvent, MessageKind
from wechat.automation import flows
from wechat.automation import handlers as _wxpy_side  # noqa: F401  (registers the "automation" entry first)
from wechat.automation.actions import BotActions
from wechat.automation.handlers import cached_settings, store_archived_media
from wechat.automation.invites import keyword_in_message
from wechat.automation.naming import GroupInfo, number_of
from wechat.automation.notes import joined_names
from wechat.automation.routing import relay_targets
from wechat.automation.votekick import RedisVoteStore, VoteKick, parse_kick
from wechat.dispatch import BotContext, event_handler

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
        names = frozenset(n for n in (member.nick_name, member.display_name) if n)
        chat = directory.chat(member.id)
        infos.append(flows.MemberInfo(puid=member.id, names=names,
                                      display=member.display_name or member.nick_name or member.id,
                                      is_friend=chat.kind == "friend"))
    return infos


def _owns(directory, group_id: str) -> bool:
    group = directory.group(group_id)
    return group is not None and bool(group.owner_id) and group.owner_id == directory.me().id


@event_handler("automation")
def automate_event(event, ctx: BotContext) -> None:
    directory = ctx.directory()
    if not isinstance(event, FriendRequestEvent | GroupNoteEvent | MessageEvent):
        return
    if isinstance(event, MessageEvent) and event.sender_id == directory.me().id:
        return
    account_id = ctx.account_id()
    env = flows.Env(settings=cached_settings(ctx), actions=BotActions(ctx.bot, account_id),
                    groups_for=groups_for(directory))
    if isinstance(event, FriendRequestEvent):
        flows.handle_friend_request(env, event.user_id, event.user_id, event.nick_name, event.text)
    elif isinstance(event, GroupNoteEvent):
        if event.kind is GroupNoteKind.JOIN and _owns(directory, event.group_id):
            names = list(event.member_names) or joined_names(event.text)
            directory.forget()  # the member lists changed
            flows.welcome(env, event.group_id, directory.chat(event.group_id, True).name, names)
    elif event.is_group:
        on_group_message(event, env, ctx)
    else:
        chat = directory.chat(event.chat_id)
        if chat.kind == "mp":
            if event.kind is MessageKind.LINK:
                flows.forward_mp_articles(env, chat.id, chat.name, [(event.text, event.url)])
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
