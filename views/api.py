"""JSON API root: who am I, and JSON errors for everything under /api."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user
from pydantic import BaseModel

from libs.api_spec import Response, api

bp = Blueprint("api", __name__, url_prefix="/api")


class Me(BaseModel):
    username: str
    id: int


@bp.get("/me")
@api.validate(resp=Response(HTTP_200=Me))
def me():
    """The signed-in admin (or the token's owner)."""
    return jsonify({"username": current_user.username, "id": current_user.id})
