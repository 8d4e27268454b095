"""Small helpers for the JSON API: strict request bodies and errors that say what is wrong.

Every JSON body is parsed by `strict_loads` (the app's request class uses it, so `request.get_json()` anywhere gets
it): nesting beyond a bound, integers beyond 64 bits, NaN/Infinity, NUL and lone surrogates are a 400 naming the
field before any route sees the data. `reject_unstorable_arguments` does the same for query, path and form values.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask.wrappers import Request
from werkzeug.exceptions import HTTPException

from libs.validation import MAX_JSON_DEPTH, ValueInvalid, check_json_value, text_problem

MAX_JSON_BYTES = 4 * 1024 * 1024  # far above any body the API takes (5000 recipients, 10,000 characters of text)
_BIG_DIGITS = 20  # an integer written with more digits is beyond 64 bits (the sign aside)


class ApiError(HTTPException):
    """An error with a JSON body: {"error": message, **extra}."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(description=message)
        self.code = status
        self.extra = extra


def _bounded_int(text: str) -> int:
    # Python parses any number of digits (slowly: 4300 are refused with a ValueError); 2**64 stands for "too big"
    # so that the walk below reports it with its field name.
    return int(text) if len(text.lstrip("-")) <= _BIG_DIGITS else 2**64


def strict_loads(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads, then every value checked (libs/validation.check_json_value); raises ValueInvalid."""
    try:
        value = json.loads(data, parse_int=_bounded_int, **kwargs)
    except RecursionError:
        raise ValueInvalid("body", f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueInvalid("body", f"malformed JSON ({exc})") from None
    return check_json_value(value, "")


class _StrictJSON:
    """The json module interface werkzeug's Request.get_json uses."""

    loads = staticmethod(strict_loads)
    dumps = staticmethod(json.dumps)


class ApiRequest(Request):
    """Request bodies parsed strictly; responses (and the test client's reading of them) keep Flask's JSON."""

    @property
    def json_module(self) -> type[_StrictJSON]:
        return _StrictJSON

    @json_module.setter
    def json_module(self, value: Any) -> None:
        pass  # Flask's request context assigns app.json here; the strict parser stays

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, ValueInvalid):
            raise ApiError(400, f"'{e.field or 'body'}' {e.message}", field=e.field or "body")
        return super().on_json_loading_failed(e)


def reject_unstorable_arguments() -> None:
    """before_request: query, path and form values with NUL or lone surrogates are a 400 (PostgreSQL refuses NUL
    in a query parameter with an error, so `?q=%00` was a 500 there and nowhere else)."""
    sources = [request.args.items(multi=True), (request.view_args or {}).items()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form.items(multi=True))
    for items in sources:
        for name, value in items:
            for text in (name, value):
                problem = isinstance(text, str) and text_problem(text)
                if problem:
                    shown = name if isinstance(name, str) and not text_problem(name) else "parameter"
                    raise ApiError(400, f"'{shown}' {problem}", field=shown)


def init_api(app: Flask) -> None:
    from libs import storage_guard

    app.request_class = ApiRequest
    app.before_request(reject_unstorable_arguments)
    storage_guard.install()


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise ApiError(413, f"the JSON body is too large (at most {MAX_JSON_BYTES // 1024 // 1024} MB)")
    data = request.get_json(silent=False)
    if data is None:
        raise ApiError(400, "malformed JSON", field="body")
    if not isinstance(data, dict):
        raise ApiError(400, "the JSON body must be an object", field="body")
    return data


MAX_PER_PAGE = 200


def _query() -> Any:
    """The route's validated query model (libs/api_spec.py; views/schemas/common.PageQuery and kin)."""
    return request.context.query


def page_args() -> tuple[int, int]:
    query = _query()
    return query.page, query.per_page


def search_arg(name: str = "q") -> str | None:
    return getattr(_query(), name) or None


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (%, _ and the escape character are escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
