"""JSON API root: who am I, and JSON errors for everything under /api."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/me")
def me():
    return jsonify({"username": current_user.username, "id": current_user.id})
