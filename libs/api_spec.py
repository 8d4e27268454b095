"""Declared request and response models for the JSON API (spectree over pydantic v2; why: docs/API.md).

A route says what it takes and answers once:

    @bp.post("/tokens")
    @api.validate(json=TokenIn, resp=Response(HTTP_201=TokenCreated))
    def create_token():
        body: TokenIn = request.context.json

From the same models come the validation (a 400 in the one error shape), and the OpenAPI 3.1 document
(views/openapi.py). The strict JSON parser stays in front: the body is read with libs.api.json_body (415 for a
body that is not JSON, 413 for a huge one, 400 naming the field for deep nesting, 64-bit overflows, NUL or lone
surrogates) before any model sees it; spectree's own reading would swallow those errors.

Responses are not re-validated on every request (a mismatch would turn a good answer into a 500): the tests check
real answers against the generated document instead (tests/conftest.py, tests/security/test_openapi.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import make_response, request
from pydantic import BaseModel, ConfigDict, ValidationError
from spectree import Response, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin
from spectree.utils import get_multidict_items

from libs.api import ApiError, json_body
from libs.validation import ValueInvalid

__all__ = ["Body", "ErrorBody", "Query", "Response", "api", "error_answer"]


class Body(BaseModel):
    """A JSON request body: types are strict (no "5" for 5, no true for 1), unknown keys are ignored unless a
    subclass forbids them. `optional_body`: an empty request (no Content-Length) counts as {}."""

    model_config = ConfigDict(strict=True)
    optional_body: ClassVar[bool] = False


class Query(BaseModel):
    """Query parameters: text in the URL, so numbers are parsed from their digits."""

    model_config = ConfigDict(str_strip_whitespace=True)


class ErrorDetail(BaseModel):
    field: str | None
    message: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: `error` says what is wrong; a 400 names the `field` and lists every problem in
    `details`; `code` is a stable word for clients where one exists (e.g. "not_logged_in", "scope")."""

    error: str
    field: str | None = None
    details: list[ErrorDetail] | None = None
    code: str | None = None
    retry_after: int | None = None


MAX_DETAILS = 20  # a list of 5000 bad ids is one problem repeated: the answer names the first few
MAX_FIELD = 120  # an unknown key is the client's own text: echoed, but not at any length


def location(loc: tuple[Any, ...]) -> str:
    """("group_patterns", 1, 0) → "group_patterns[1][0]"; ("mp_forwarding", 0, "mp") → "mp_forwarding[0].mp"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text if len(text) <= MAX_FIELD else text[:MAX_FIELD - 1] + "…"


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "extra_forbidden": "is an unknown field",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
}


def _message(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        cause = ctx.get("error")
        return cause.message if isinstance(cause, ValueInvalid) else str(cause)
    if kind == "string_too_long" or kind == "too_long" and ctx.get("field_type") not in ("List", "Tuple", "Set"):
        return f"is too long (at most {ctx['max_length']} characters)"
    if kind == "string_too_short" or kind == "too_short" and ctx.get("field_type") not in ("List", "Tuple", "Set"):
        return "must not be empty" if ctx.get("min_length") == 1 else f"needs at least {ctx['min_length']} characters"
    if kind == "too_long":
        return f"must be a list of at most {ctx['max_length']} items"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} items"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"must be {error['msg'].removeprefix('Input should be ')}"
    if kind in ("literal_error", "enum"):
        return f"must be {error['msg'].removeprefix('Input should be ')}"
    return _MESSAGES.get(kind, error["msg"])


def error_answer(exc: ValidationError, prefix: str = "") -> ApiError:
    """The 400 for a failed model: the first problem in `error`/`field`, all of them in `details`."""
    details = []
    for error in exc.errors()[:MAX_DETAILS]:
        loc = (prefix, *error["loc"]) if prefix else error["loc"]
        field = location(loc) or None
        message = _message(error)
        if loc and isinstance(loc[-1], int) and error["type"] != "value_error":
            message += f" (an item of the list '{location(loc[:-1])}')"
        details.append({"field": field, "message": message, "type": error["type"]})
    first = details[0]
    shown = first["field"] or "body"
    message = f"missing field '{shown}'" if first["type"] == "missing" else f"'{shown}' {first['message']}"
    return ApiError(400, message, field=first["field"], details=details)


def validate_model(model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    """`model` validated from `data`, else ValueInvalid for the first problem (for callers outside a request);
    `prefix` names where `data` sits in the body (e.g. "settings")."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        answer = error_answer(exc, prefix)
        first = answer.extra["details"][0]
        raise ValueInvalid(first["field"] or "body", first["message"]) from None


def _raise_validation_error(req, resp, error, instance, model_adapter) -> None:
    if error is not None:
        raise error_answer(error)


class StrictFlaskPlugin(FlaskPlugin):
    """spectree's Flask plugin, with the body read by libs.api.json_body (see the module docstring) and responses
    passed through unchanged."""

    def request_validation(self, request, query, json, form, headers, cookies):
        data = None
        if json is not None and request.method not in ("GET", "DELETE"):
            empty = not request.content_length and not request.is_json
            data = {} if empty and getattr(json, "optional_body", False) else json_body()
        request.context = Context(
            self.model_adapter.validate_obj(query, get_multidict_items(request.args, query)) if query else None,
            self.model_adapter.validate_obj(json, data) if data is not None else None,
            None, None, None,
        )

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):
        # Unchanged: spectree would read the body back (and fail on a streamed file, e.g. send_file's passthrough).
        return make_response(resp), None


api = SpecTree(
    "flask",
    backend=StrictFlaskPlugin,
    mode="strict",  # only the routes declared with @api.validate are in the document
    path="_spectree",  # spectree's own pages are not registered (views/openapi.py serves the document)
    title="wechat-admin API",
    version="1.0.0",
    description=(
        "The JSON API under /api. Every call needs an admin: `Authorization: Bearer <token>` (`flask create-token`)"
        " or a session cookie with a CSRF token. Errors are JSON `{\"error\": message, \"field\", \"details\"}`"
        " with a 4xx status (502/503 while WeChat or Redis is unavailable)."),
    before=_raise_validation_error,
    validation_error_status=400,
    validation_error_model=ErrorBody,
    naming_strategy=lambda model: model.__name__,  # model names are unique across views/schemas/
    nested_naming_strategy=lambda parent, child: child,
)


def context_json() -> Any:
    """The validated body of this request (an instance of the route's `json` model)."""
    return request.context.json


def context_query() -> Any:
    return request.context.query
