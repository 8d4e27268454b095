"""Group rules the bot runs into: create, add (≤ 40 members), invite (above 40), remove, rename, 500 cap.

Each function returns (Ret, reason); Ret 0 is success. Failures use the real service's Ret where it is
known (1 for "direct add not allowed, invite instead", as web WeChat answers) and put a readable
``reason`` next to it for humans reading the response.
"""

from __future__ import annotations

from sandbox.core import Sandbox
from sandbox.world import INVITE_START_COUNT, MAX_GROUP_MEMBERS, SELF_ID, Group, Person

RET_FAILED = 1


def _quoted(people: list[Person]) -> str:
    return "、".join(f'"{p.nick_name}"' for p in people)


CREATE_FAILED = "创建群聊失败"


def error_xml(content: str = CREATE_FAILED) -> str:
    """The <e> ErrMsg the real service puts next to Ret 0 when it did not create a group (wxpy issues 49, 258)."""
    return (f"<e>\n<ShowType>1</ShowType>\n<Content><![CDATA[{content}]]></Content>\n<Url><![CDATA[]]></Url>\n"
            "<DispSec>30</DispSec>\n<Title><![CDATA[]]></Title>\n<Action>4</Action>\n<DelayConnSec>0</DelayConnSec>\n"
            "<Countdown>0</Countdown>\n<Ok><![CDATA[]]></Ok>\n<Cancel><![CDATA[]]></Cancel>\n</e>\n")


def create_group(sb: Sandbox, members: list[Person], topic: str) -> tuple[int, str, Group | None]:
    """(Ret, the <e> Content, group): a refusal is Ret 0 without a group, as recorded from the real service."""
    others = [p for p in members if p.id != SELF_ID]
    if len(others) < 2 or any(not p.is_friend for p in others) or len(others) + 1 > MAX_GROUP_MEMBERS:
        return 0, CREATE_FAILED, None
    group = sb.world.add_group(Group(id=sb.world.new_id("g"), nick_name=topic, owner_id=SELF_ID,
                                     member_ids=[SELF_ID] + [p.id for p in others]))
    sb.group_note(group, f"你邀请{_quoted(others)}加入了群聊")
    sb.changed(group.id)
    return 0, "", group


def add_members(sb: Sandbox, group: Group, people: list[Person]) -> tuple[int, str]:
    """Direct add: only while the group is small; larger groups need an invitation."""
    if not group.has(SELF_ID):
        return RET_FAILED, "the bot is not in this group"
    if len(group.member_ids) > INVITE_START_COUNT:
        return RET_FAILED, f"groups above {INVITE_START_COUNT} members need invitemember"
    new = [p for p in people if not group.has(p.id)]
    if len(group.member_ids) + len(new) > MAX_GROUP_MEMBERS:
        return RET_FAILED, f"a group has at most {MAX_GROUP_MEMBERS} members"
    if any(not p.is_friend for p in new):
        return RET_FAILED, "only friends can be added"
    if new:
        sb.join_group(group, [p.id for p in new], f"你邀请{_quoted(new)}加入了群聊")
    return 0, ""


def invite_members(sb: Sandbox, group: Group, people: list[Person]) -> tuple[int, str]:
    """Invitation: the invitee joins when they accept (at once, or via the control API when manual)."""
    if not group.has(SELF_ID):
        return RET_FAILED, "the bot is not in this group"
    new = [p for p in people if not group.has(p.id)]
    if len(group.member_ids) + len(new) > MAX_GROUP_MEMBERS:
        return RET_FAILED, f"a group has at most {MAX_GROUP_MEMBERS} members"
    if any(not p.is_friend for p in new):
        return RET_FAILED, "only friends can be invited"
    if sb.settings.invite_accept == "immediate":
        for person in new:
            sb.join_group(group, [person.id], f'"{person.nick_name}"通过你的邀请加入了群聊')
    else:
        sb.pending_invites.extend((group.id, p.id) for p in new)
    return 0, ""


def remove_members(sb: Sandbox, group: Group, people: list[Person]) -> tuple[int, str]:
    if group.owner_id != SELF_ID:
        return RET_FAILED, "only the group owner can remove members"
    gone = [p for p in people if group.has(p.id) and p.id != SELF_ID]
    if gone:
        sb.leave_group(group, [p.id for p in gone], f"你将{_quoted(gone)}移出了群聊")
    return 0, ""


def rename_group(sb: Sandbox, group: Group, topic: str) -> tuple[int, str]:
    if not group.has(SELF_ID):
        return RET_FAILED, "the bot is not in this group"
    group.nick_name = topic
    sb.group_note(group, f"你修改群名为“{topic}”")
    sb.changed(group.id)
    return 0, ""
