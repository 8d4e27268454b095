"""Small helpers for the JSON API: strict request bodies and errors that say what is wrong."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import HTTPException


class ApiError(HTTPException):
    """An error with a JSON body: {"error": message, **extra}."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(description=message)
        self.code = status
        self.extra = extra


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "malformed JSON")
    if not isinstance(data, dict):
        raise ApiError(400, "the JSON body must be an object")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], required: bool = True,
          default: Any = None, max_length: int | None = None) -> Any:
    """Read one field, checking its type (bool is not accepted as int) and length."""
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, f"missing field '{name}'")
        return default
    value = data[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ApiError(400, f"field '{name}' must be of type {names}")
    if max_length is not None and hasattr(value, "__len__") and len(value) > max_length:
        raise ApiError(400, f"field '{name}' is too long (at most {max_length})")
    return value


def string_list(data: dict[str, Any], name: str, max_items: int, required: bool = True) -> list[str]:
    values = field(data, name, list, required=required, default=[], max_length=max_items)
    if not all(isinstance(v, str) and v.strip() and len(v) <= 128 for v in values):
        raise ApiError(400, f"field '{name}' must be a list of ids (non-empty strings)")
    return values


MAX_PER_PAGE = 200


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter '{name}' must be a whole number") from None
    if not minimum <= value <= maximum:
        raise ApiError(400, f"query parameter '{name}' must be between {minimum} and {maximum}")
    return value


def page_args() -> tuple[int, int]:
    return int_arg("page", 1, 1, 1_000_000), int_arg("per_page", 50, 1, MAX_PER_PAGE)


def search_arg(name: str = "q", max_length: int = 100) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > max_length:
        raise ApiError(400, f"query parameter '{name}' is too long (at most {max_length} characters)")
    return value or None


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (%, _ and the escape character are escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
