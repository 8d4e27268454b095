"""Carrying the rules out: each flow takes plain data (ids, names, texts) and acts through BotActions.

The wxpy-specific part (reading messages, listing live groups) stays in `handlers`; flows only see `GroupInfo`s
and ids, so they can be tested with a fake bot. Replies that are not admin-configurable are fixed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from libs.text_template import fill
from wechat.automation import blacklist
from wechat.automation.actions import BotActions, CommandError
from wechat.automation.invites import keyword_in_request, plan_invite
from wechat.automation.naming import GroupInfo
from wechat.automation.routing import article_text, mp_targets, relay_targets, relay_text
from wechat.automation.votekick import VoteKick

logger = logging.getLogger(__name__)

UNKNOWN_MEMBER = "找不到群成员「{name}」，请 @ 对方的群昵称。"
AMBIGUOUS_MEMBER = "群里有多位成员叫「{name}」，无法确定要移出谁。"
PROTECTED_MEMBER = "不能移出群主或机器人。"


@dataclass
class Env:
    """What flows work with: the account's settings, the bot's actions, and a lookup of live groups."""

    settings: dict[str, Any]
    actions: BotActions
    groups_for: Callable[[str], list[GroupInfo]] = field(default=lambda template: [])

    @property
    def account_id(self) -> int:
        return self.actions.account_id


@dataclass(frozen=True)
class MemberInfo:
    puid: str
    names: frozenset[str]  # nick name, group display name: what people may @
    display: str
    is_friend: bool = False
    remark: str = ""
    display_name: str = ""  # the group display name (群昵称) the member chose, if any
    nick_name: str = ""


# -- friend requests and keyword invites ---------------------------------------------------------------------------
def handle_friend_request(env: Env, user_name: str, requester_puid: str | None, nick_name: str, text: str) -> None:
    """Auto-accept: accept, then invite straight away when the verification text names a group, else greet."""
    settings = env.settings
    if not settings["auto_accept"]:
        return
    if requester_puid and blacklist.is_blacklisted(env.account_id, requester_puid):
        env.actions.audit("automation.friend.ignore", nick_name, "blacklisted friend request")
        return
    try:
        result = env.actions.accept_friend(user_name)
    except CommandError as exc:
        env.actions.audit("automation.friend.accept_failed", nick_name, "auto-accept", error=exc.message)
        return
    friend = result.get("friend")
    env.actions.audit("automation.friend.accept", nick_name, "auto-accept", text=text[:200])
    if not friend:
        logger.warning("accepted %s but the new friend is not in the list yet", nick_name)
        return
    pattern = keyword_in_request(text, settings["group_patterns"])
    if pattern is not None:
        invite_by_keyword(env, friend["puid"], friend["name"], pattern, reason=f"friend request keyword {pattern[0]}")
    elif settings["invite_text"].strip():
        env.actions.send([friend["puid"]], settings["invite_text"], reason="auto-accept greeting",
                         action="automation.greet", target=friend["name"])


def invite_by_keyword(env: Env, person: str, person_name: str, pattern: list[str], reason: str) -> str:
    """Put the person into the pattern's group (creating the next one when all are full); returns the action."""
    keyword, template = pattern
    plan = plan_invite(person, template, env.groups_for(template), blacklist.is_blacklisted(env.account_id, person))
    settings, actions = env.settings, env.actions
    if plan.action == "blacklisted":
        actions.send([person], settings["blacklist_reply"], reason=reason, action="automation.invite.refused",
                     target=person_name)
    elif plan.action == "already_member":
        actions.send([person], fill(settings["already_member_reply"], group=plan.group.name), reason=reason,
                     action="automation.invite.already_member", target=person_name, group=plan.group.puid)
    elif plan.action == "invite":
        try:
            result = actions.add_to_group(plan.group.puid, person)
        except CommandError as exc:
            actions.audit("automation.invite.failed", person_name, reason, group=plan.group.puid, error=exc.message)
            return "failed"
        actions.audit("automation.invite", person_name, reason, group=plan.group.puid, group_name=plan.group.name,
                      invited=result.get("invited"))
    else:
        return _create_and_invite(env, person, person_name, plan.name, reason)
    return plan.action


def _create_and_invite(env: Env, person: str, person_name: str, name: str, reason: str) -> str:
    creators = [c for c in env.settings["group_creators"] if c != person]
    actions = env.actions
    if len(creators) < 2:
        actions.audit("automation.group.create_failed", name, reason,
                      error="all groups are full; set group_creators (two friends) so the bot can open a new one")
        return "failed"
    try:
        created = actions.create_group(creators, name)["group"]
        actions.add_to_group(created["puid"], person)
    except CommandError as exc:
        actions.audit("automation.group.create_failed", name, reason, error=exc.message)
        return "failed"
    actions.audit("automation.group.create", name, reason, group=created["puid"], creators=creators)
    actions.audit("automation.invite", person_name, reason, group=created["puid"], group_name=name)
    announcement = fill(env.settings["new_group_announcement"], group=name)
    if announcement.strip():
        actions.send([created["puid"]], announcement, reason=f"new group {name}", action="automation.announce",
                     target=name)
    return "create"


# -- groups the bot owns -------------------------------------------------------------------------------------------
def welcome(env: Env, group: str, group_name: str, names: list[str]) -> None:
    template = env.settings["welcome_text"]
    if names and template.strip():
        text = "\n".join(fill(template, name=name) for name in names)
        env.actions.send([group], text, reason="welcome", action="automation.welcome", target=group_name,
                         names=names)


def resolve_member(members: list[MemberInfo], name: str) -> list[MemberInfo]:
    """Who "@name" means: WeChat's @ inserts the group display name, so that decides first, then the nick name,
    then any other name the member goes by (a remark name)."""
    for attribute in ("display_name", "nick_name"):
        found = [member for member in members if getattr(member, attribute) == name]
        if found:
            return found
    return [member for member in members if name in member.names]


def mention_names(names: list[str], members: list[MemberInfo]) -> list[str]:
    """The names to @ for members a note names by nick name: their group display name where they have one."""
    display = {}
    for member in members:
        if member.nick_name and member.display_name:
            display.setdefault(member.nick_name, member.display_name)
    return [display.get(name, name) for name in names]


def vote_kick(env: Env, votes: VoteKick, group: str, group_name: str, voter: str, target_name: str,
              members: list[MemberInfo], protected: set[str]) -> str:
    """Count a vote; at quorum remove, blacklist and announce. Returns what happened (for logs and tests)."""
    actions, settings = env.actions, env.settings
    found = resolve_member(members, target_name)
    if len(found) != 1:
        reply = (UNKNOWN_MEMBER if not found else AMBIGUOUS_MEMBER).format(name=target_name)
        actions.send([group], reply, reason="vote-kick", action="automation.kick.unknown", target=group_name)
        return "unknown" if not found else "ambiguous"
    target = found[0]
    if target.puid in protected:
        actions.send([group], PROTECTED_MEMBER, reason="vote-kick", action="automation.kick.protected",
                     target=group_name)
        return "protected"
    vote = votes.vote(group, target.puid, voter)
    if not vote.counted:
        return "repeated"  # no reply: a repeated vote changes nothing, and every reply is a risk for the account
    if not vote.reached:
        text = fill(settings["kick_text"], member=target.display, current=vote.current, total=vote.total,
                    period=settings["kick_period_minutes"])
        actions.send([group], text, reason="vote-kick", action="automation.kick.vote", target=target.display,
                     group=group, voter=voter, current=vote.current)
        return "counted"
    return _kick(env, votes, group, group_name, target)


def _kick(env: Env, votes: VoteKick, group: str, group_name: str, target: MemberInfo) -> str:
    actions = env.actions
    reason = f"vote-kick in {group_name}"
    try:
        actions.remove_member(group, target.puid)
    except CommandError as exc:
        actions.audit("automation.kick.failed", target.display, reason, group=group, error=exc.message)
        return "failed"
    votes.reset(group, target.puid)
    blacklist.set_blacklisted(env.account_id, target.puid, True, nick_name=target.display)
    actions.audit("automation.kick", target.display, reason, group=group, puid=target.puid)
    actions.audit("automation.blacklist", target.display, reason, puid=target.puid)
    if target.is_friend:
        try:
            actions.set_remark(target.puid, blacklist.blacklist_remark(target.remark, target.display))
        except CommandError as exc:
            logger.warning("could not mark %s's remark name: %s", target.display, exc.message)
    actions.send([group], fill(env.settings["kicked_text"], member=target.display), reason=reason,
                 action="automation.kick.announce", target=group_name)
    return "kicked"


# -- forwarding ----------------------------------------------------------------------------------------------------
def forward_mp_articles(env: Env, mp: str, mp_name: str, articles: list[tuple[str, str]]) -> int | None:
    groups = mp_targets(env.settings["mp_forwarding"], mp)
    text = article_text(articles)
    if not groups or not text:
        return None
    return env.actions.send(groups, text, reason=f"MP forwarding from {mp_name}", action="automation.mp_forward",
                            target=mp_name)


def relay(env: Env, group: str, group_name: str, sender_name: str, text: str,
          files: list[str] | None = None) -> int | None:
    targets = relay_targets(env.settings["relay_sets"], group)
    if not targets:
        return None
    return env.actions.send(targets, relay_text(sender_name, text), files=files,
                            reason=f"relay from {group_name}", action="automation.relay", target=group_name)
