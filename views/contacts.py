"""Contacts, groups, members and MPs from the database copy (kept current by the sync)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from extensions import db
from libs import search
from libs.api import ApiError, page_args, search_arg
from libs.api_spec import ErrorBody, Response, api
from libs.files import inside
from models.audit import record
from models.wechat import Contact, Group, Membership
from views.account_context import current_account_id
from views.schemas.common import SearchPageQuery
from views.schemas.contacts import ContactPage, GroupAnswer, GroupPage, MemberPage
from wechat.sync.avatars import avatar_root
from wechat.sync.group_presence import mark_group_left

bp = Blueprint("contacts", __name__, url_prefix="/api")


def contact_dict(contact: Contact) -> dict:
    return {"id": contact.id, "puid": contact.puid, "nick_name": contact.nick_name,
            "remark_name": contact.remark_name, "name": contact.remark_name or contact.nick_name,
            "sex": contact.sex, "province": contact.province, "city": contact.city, "signature": contact.signature,
            "is_friend": contact.is_friend, "is_mp": contact.is_mp, "is_blacklisted": contact.is_blacklisted,
            "avatar_url": f"/api/avatars/contacts/{contact.id}" if contact.avatar_path else None}


def group_dict(group: Group) -> dict:
    return {"id": group.id, "puid": group.puid, "nick_name": group.nick_name, "name": group.nick_name,
            "is_owner": group.is_owner, "owner_puid": group.owner_puid, "member_count": group.member_count,
            "avatar_url": f"/api/avatars/groups/{group.id}" if group.avatar_path else None,
            # Set only on evidence (wechat/sync/group_presence.py): the group and its members stay in the database.
            "left_at": group.left_at.isoformat() if group.left_at else None, "left_reason": group.left_reason}


def paged(query: Select, order_by, serialize, count_query: Select | None = None) -> dict:
    """One page of `query` and its total (see libs.search.page_total: capped, and not counted on the last page)."""
    page, per_page = page_args()
    rows = db.session.execute(query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page)).all()
    total, capped = search.page_total(query if count_query is None else count_query, page, per_page, len(rows))
    return {"items": [serialize(*row) for row in rows], "page": page, "per_page": per_page, "total": total,
            "total_capped": capped}


def name_filter(*columns):
    text = search_arg()
    if not text:
        return None
    return or_(*(search.contains(column, text, fold_case=True) for column in columns))


def _people(condition):
    """Friends or MPs by name. The ids come from ix_contacts_account_names alone (reading each full row instead was
    5-9x slower on 100,000 names), then the page's rows by id."""
    ids = select(Contact.id).where(Contact.account_id == current_account_id(), condition)
    matching = name_filter(Contact.nick_name, Contact.remark_name)
    if matching is None:
        body = paged(ids, (Contact.nick_name, Contact.id), lambda contact_id: contact_id)
    else:
        body = searched_page(ids.where(matching))
    found = {contact.id: contact for contact in
             db.session.execute(select(Contact).where(Contact.id.in_(body["items"]))).scalars()}
    body["items"] = [contact_dict(found[contact_id]) for contact_id in body["items"] if contact_id in found]
    return jsonify(body)


def searched_page(ids: Select) -> dict:
    """A page of contact ids matching a name search, and the total, from one walk of the name index in page order
    that stops after NAME_SEARCH_CAP + 1 matches (or at the page's end when that lies further).

    A substring search of a rare name has to look at every name anyway, to fill its page; counting in a second
    pass doubled that, and counting a common one to the end cost a full pass for a number nobody reads.
    """
    page, per_page = page_args()
    offset = (page - 1) * per_page
    limit = max(search.NAME_SEARCH_CAP + 1, offset + per_page)
    walked = ids.add_columns(Contact.nick_name).order_by(Contact.nick_name, Contact.id).limit(limit).subquery()
    rows = db.session.execute(select(walked.c.id, func.count().over()).order_by(walked.c.nick_name, walked.c.id)
                              .limit(per_page).offset(offset)).all()
    if rows:
        walked_count = rows[0][1]
    elif page == 1:
        walked_count = 0
    else:  # past the end: no row carries the count
        walked_count = db.session.execute(select(func.count()).select_from(walked)).scalar_one()
    capped = walked_count == limit and walked_count > search.NAME_SEARCH_CAP
    total = max(search.NAME_SEARCH_CAP, offset + len(rows)) if capped else walked_count
    return {"items": [row[0] for row in rows], "page": page, "per_page": per_page, "total": total,
            "total_capped": capped}


@bp.get("/contacts")
@api.validate(query=SearchPageQuery, resp=Response(HTTP_200=ContactPage))
def contacts():
    """Friends, by name (?q= searches nick and remark names)."""
    return _people(Contact.is_friend.is_(True))


@bp.get("/mps")
@api.validate(query=SearchPageQuery, resp=Response(HTTP_200=ContactPage))
def mps():
    """Official accounts (MPs), by name."""
    return _people(Contact.is_mp.is_(True))


@bp.get("/groups")
@api.validate(query=SearchPageQuery, resp=Response(HTTP_200=GroupPage))
def groups():
    """Groups, by name."""
    query = select(Group).where(Group.account_id == current_account_id())
    matching = name_filter(Group.nick_name)
    if matching is not None:
        query = query.where(matching)
    return jsonify(paged(query, (Group.nick_name, Group.id), group_dict))


@bp.post("/groups/<int:group_id>/left")
@api.validate(resp=Response(HTTP_200=GroupAnswer, HTTP_404=ErrorBody))
def group_left(group_id: int):
    """The operator says the bot is no longer in this group (lists cannot tell: they omit unsaved groups)."""
    group = db.session.get(Group, group_id)
    if group is None or group.account_id != current_account_id():
        raise ApiError(404, f"no group {group_id}")
    mark_group_left(group.account_id, group.puid, "operator")
    record(current_user.username, "group.mark_left", target=group.nick_name, ip=request.remote_addr)
    db.session.commit()
    db.session.refresh(group)
    return jsonify({"group": group_dict(group)})


@bp.get("/groups/<int:group_id>/members")
@api.validate(query=SearchPageQuery, resp=Response(HTTP_200=MemberPage, HTTP_404=ErrorBody))
def group_members(group_id: int):
    """A group's members (from the last sync), by name or display name."""
    group = db.session.get(Group, group_id)
    if group is None or group.account_id != current_account_id():
        raise ApiError(404, f"no group {group_id}")
    query = select(Contact, Membership.display_name).join(Membership, Membership.contact_id == Contact.id) \
        .where(Membership.group_id == group_id)
    matching = name_filter(Contact.nick_name, Contact.remark_name, Membership.display_name)
    if matching is not None:
        query = query.where(matching)

    def member(contact: Contact, display_name: str) -> dict:
        return {**contact_dict(contact), "display_name": display_name}

    body = paged(query, (Contact.nick_name, Contact.id), member)
    body["group"] = group_dict(group)
    return jsonify(body)


@bp.get("/avatars/<any(contacts, groups):kind>/<int:row_id>")
@api.validate(resp=Response(HTTP_200=None, HTTP_404=ErrorBody))
def avatar(kind: str, row_id: int):
    """A contact's or group's avatar (JPEG)."""
    row = db.session.get(Contact if kind == "contacts" else Group, row_id)
    if row is None or row.account_id != current_account_id() or not row.avatar_path:
        raise ApiError(404, "no avatar")
    path = inside(avatar_root(), row.avatar_path)
    if path is None or not path.is_file():
        raise ApiError(404, "no avatar")
    return send_file(path, mimetype="image/jpeg", max_age=86400)
