"""GET /api/openapi.json: the OpenAPI 3.1 document of the JSON API (auth required, like every /api route).

The document is a file kept next to this module (views/openapi.json; docs/ is not in the image). It is written by
hand; tests/security/test_openapi.py fails when an /api route or method is missing from it, so it stays complete.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api")
SPEC_FILE = Path(__file__).with_name("openapi.json")


@cache
def spec() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi_spec():
    return jsonify(spec())
