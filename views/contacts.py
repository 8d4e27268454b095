"""Contacts, groups, members and MPs from the database copy (kept current by the sync)."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_file
from sqlalchemy import func, or_, select

from extensions import db
from libs.api import ApiError, like_pattern, page_args, search_arg
from libs.files import inside
from models.wechat import Contact, Group, Membership
from wechat import control
from wechat.accounts import login_account
from wechat.avatars import avatar_root

bp = Blueprint("contacts", __name__, url_prefix="/api")


def current_account_id() -> int | None:
    account = login_account(control.bot_state().login())
    return account.id if account else None


def contact_dict(contact: Contact) -> dict:
    return {"id": contact.id, "puid": contact.puid, "nick_name": contact.nick_name,
            "remark_name": contact.remark_name, "name": contact.remark_name or contact.nick_name,
            "sex": contact.sex, "province": contact.province, "city": contact.city, "signature": contact.signature,
            "is_friend": contact.is_friend, "is_mp": contact.is_mp, "is_blacklisted": contact.is_blacklisted,
            "avatar_url": f"/api/avatars/contacts/{contact.id}" if contact.avatar_path else None}


def group_dict(group: Group) -> dict:
    return {"id": group.id, "puid": group.puid, "nick_name": group.nick_name, "name": group.nick_name,
            "is_owner": group.is_owner, "owner_puid": group.owner_puid, "member_count": group.member_count,
            "avatar_url": f"/api/avatars/groups/{group.id}" if group.avatar_path else None}


def paged(query, order_by, serialize) -> dict:
    page, per_page = page_args()
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [serialize(*row) for row in rows], "page": page, "per_page": per_page, "total": total}


def name_filter(*columns):
    text = search_arg()
    if not text:
        return None
    pattern = like_pattern(text.lower())
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def _people(condition):
    account_id = current_account_id()
    query = select(Contact).where(Contact.account_id == account_id, condition)
    matching = name_filter(Contact.nick_name, Contact.remark_name)
    if matching is not None:
        query = query.where(matching)
    return jsonify(paged(query, (Contact.nick_name, Contact.id), contact_dict))


@bp.get("/contacts")
def contacts():
    return _people(Contact.is_friend.is_(True))


@bp.get("/mps")
def mps():
    return _people(Contact.is_mp.is_(True))


@bp.get("/groups")
def groups():
    query = select(Group).where(Group.account_id == current_account_id())
    matching = name_filter(Group.nick_name)
    if matching is not None:
        query = query.where(matching)
    return jsonify(paged(query, (Group.nick_name, Group.id), group_dict))


@bp.get("/groups/<int:group_id>/members")
def group_members(group_id: int):
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
def avatar(kind: str, row_id: int):
    row = db.session.get(Contact if kind == "contacts" else Group, row_id)
    if row is None or row.account_id != current_account_id() or not row.avatar_path:
        raise ApiError(404, "no avatar")
    path = inside(avatar_root(), row.avatar_path)
    if path is None or not path.is_file():
        raise ApiError(404, "no avatar")
    return send_file(path, mimetype="image/jpeg", max_age=86400)
