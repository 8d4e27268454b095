"""GET /api/openapi.json: the OpenAPI 3.1 document of the JSON API, generated from the routes' declared models
(libs/api_spec.py); auth required, like every /api route.

What a pydantic model cannot say is added here, once for every operation: the security schemes, the shared error
answer (`default`), the account selector (`?account=` / `X-WeChat-Account`, from views/schemas/accounts.py), 64-bit
integer path ids, and the few bodies that are files rather than JSON.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context, jsonify

from libs.api_spec import Response, api

# Not named "openapi…": spectree leaves endpoints of that name out of the document it generates.
bp = Blueprint("api_reference", __name__, url_prefix="/api")

BINARY = {"type": "string", "format": "binary"}
# Answers that are files, by operation: their media type.
FILE_ANSWERS = {
    ("get", "/api/wechat/qrcode.png"): "image/png",
    ("get", "/api/media/{message_id}"): "*/*",
    ("get", "/api/avatars/{kind}/{row_id}"): "image/jpeg",
    ("get", "/api/openapi.json"): "application/json",
    ("get", "/api/insights/export/{table}.csv"): "text/csv",
}
# Requests that are files: multipart/form-data with one or more `file` parts (views/uploads.py).
FILE_BODIES = {
    ("post", "/api/uploads"): {"type": "object", "properties": {"file": {"type": "array", "items": BINARY}},
                               "required": ["file"]},
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
ACCOUNT_REFS = [{"$ref": "#/components/parameters/account"}, {"$ref": "#/components/parameters/accountHeader"}]


def _account_parameters() -> dict[str, Any]:
    """How every operation names its WeChat account (views/account_context.py), from the one model that says it."""
    from views.account_context import HEADER, QUERY
    from views.schemas.accounts import AccountSelector

    field = AccountSelector.model_json_schema()["properties"]["account"]
    schema = next(option for option in field["anyOf"] if option.get("type") == "integer")
    description = " ".join((AccountSelector.__doc__ or "").split())
    return {"account": {"name": QUERY, "in": "query", "required": False, "schema": schema,
                        "description": description},
            "accountHeader": {"name": HEADER, "in": "header", "required": False, "schema": schema,
                              "description": f"the same as the `{QUERY}` query parameter (both: they must agree)"}}


def _areas(app: Flask) -> dict[tuple[str, str], str]:
    """(method, documented path) → the blueprint that serves it (the operation's tag; one path may be served by two
    blueprints, e.g. GET /api/accounts lists and POST adds)."""
    return {(method.lower(), re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)): rule.endpoint.partition(".")[0]
            for rule in app.url_map.iter_rules() for method in rule.methods}


def _finish(raw: dict[str, Any], areas: dict[tuple[str, str], str]) -> dict[str, Any]:
    document = copy.deepcopy(raw)
    document["servers"] = [{"url": "/"}]
    document["components"]["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "wxa_…"},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
    }
    document["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
    document["components"]["responses"] = {"Error": {
        "description": "an error (4xx; 502/503 when WeChat or Redis is unavailable)",
        "content": {"application/json": {"schema": ERROR_REF}}}}
    document["components"]["parameters"] = _account_parameters()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation["responses"]["default"] = {"$ref": "#/components/responses/Error"}
            # grouped on the reference page
            operation["tags"] = operation.get("tags") or [areas.get((method, path), "api")]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    # views register <int:…> as a row id: 0 to 2**63-1 (app.RowIdConverter)
                    parameter["schema"] = {"type": "integer", "format": "int64", "minimum": 0,
                                           "maximum": 2**63 - 1}
            operation["parameters"] = [*operation.get("parameters", []), *ACCOUNT_REFS]
            media = FILE_ANSWERS.get((method, path))
            if media is not None:
                for status, answer in operation["responses"].items():
                    if status.startswith("2"):
                        answer["content"] = {media: {"schema": {"type": "object"} if "json" in media else BINARY}}
            if (method, path) in FILE_BODIES:
                operation["requestBody"] = {"required": True, "content": {
                    "multipart/form-data": {"schema": FILE_BODIES[(method, path)]}}}
    return document


@cache
def spec() -> dict[str, Any]:
    """The document (the same for every app of this code: the routes come from BLUEPRINT_MODULES). spectree reads
    the routes from the current app; outside one (tests at collection time) from an app with every blueprint."""
    if has_app_context():
        return _finish(api.spec, _areas(current_app))
    from views import register_blueprints

    app = Flask(__name__)
    register_blueprints(app)
    with app.app_context():
        return _finish(api.spec, _areas(app))  # api.spec is generated once: generating again loses nested models


@bp.get("/openapi.json")
@api.validate(resp=Response(HTTP_200=None))
def openapi_spec():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(spec())
