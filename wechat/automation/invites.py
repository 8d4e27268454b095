"""The keyword-invite rule: which pattern a text asks for, and what to do for the person asking.

`plan_invite` decides; the handlers carry the decision out (so the decision is testable without WeChat).
"""

from __future__ import annotations

from dataclasses import dataclass

from wechat.automation.naming import GroupInfo, name_for, next_number, numbered, with_room


@dataclass(frozen=True)
class InvitePlan:
    """action: "blacklisted", "already_member", "invite" (into `group`) or "create" (the group `name`)."""

    action: str
    template: str
    group: GroupInfo | None = None
    name: str = ""


def keyword_in_message(text: str, patterns: list[list[str]]) -> list[str] | None:
    """A chat message asks for a group when it *is* a keyword (case-insensitive, surrounding spaces ignored).

    Exact, so that a friend chatting about "python 3.12" is not invited into a group for every message.
    """
    wanted = (text or "").strip().casefold()
    return next((pattern for pattern in patterns if pattern[0].casefold() == wanted), None) if wanted else None


def keyword_in_request(text: str, patterns: list[list[str]]) -> list[str] | None:
    """A friend request's verification text asks for a group when it *contains* a keyword (people write
    "我想加入python群"); the first pattern in the settings wins."""
    haystack = (text or "").casefold()
    return next((pattern for pattern in patterns if pattern[0].casefold() in haystack), None)


def plan_invite(person_puid: str, template: str, groups: list[GroupInfo], blacklisted: bool) -> InvitePlan:
    """Blacklisted → refuse; in any group of the template → already a member; else the lowest-numbered group with
    room; when all are full (or there is none) → create the next number."""
    if blacklisted:
        return InvitePlan("blacklisted", template)
    matching = numbered(groups, template)
    for item in matching:
        if person_puid in item.group.member_puids:
            return InvitePlan("already_member", template, group=item.group)
    room = with_room(matching)
    if room is not None:
        return InvitePlan("invite", template, group=room.group)
    return InvitePlan("create", template, name=name_for(template, next_number(matching)))
