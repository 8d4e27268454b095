"""Errors as JSON for API clients and as a readable page for browsers; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from drivers.types import Unsupported
from libs.api import ApiError
from libs.api_spec import error_answer
from libs.auth import json_error, wants_json
from libs.validation import ValueInvalid

logger = logging.getLogger(__name__)


def _render(status: int, message: str):
    if wants_json():
        return json_error(message, status)
    return render_template("error.html", status=status, message=message), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(400, f"CSRF check failed: {error.description}")

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return json_error(error.description, error.code, **error.extra)

    # A value refused below the view (a service's check, a model validated there): the same 400 as a view's own.
    @app.errorhandler(ValueInvalid)
    def value_invalid(error: ValueInvalid):
        return api_error(ApiError(400, f"'{error.field}' {error.message}", field=error.field,
                                  details=[{"field": error.field, "message": error.message, "type": "value_error"}]))

    @app.errorhandler(ValidationError)
    def model_invalid(error: ValidationError):
        return api_error(error_answer(error))

    # The one mapping of the driver seam's "cannot do that" (drivers.types.Unsupported) to an answer: 409.
    @app.errorhandler(Unsupported)
    def unsupported(error: Unsupported):
        return json_error(error.message, 409, code="unsupported")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500, error.description or error.name)

    # Redis down (restarting): a clear, retryable 503 instead of a 500 with a logged traceback per request.
    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def redis_unavailable(error: Exception):
        logger.warning("Redis unavailable: %s", error)
        return _render(503, "Redis is unavailable; try again in a few seconds")

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        logger.exception("unhandled error")
        return _render(500, InternalServerError.description)
