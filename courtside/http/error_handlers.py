"""One place renders every error as the envelope of DESIGN.md §3."""

from __future__ import annotations

import logging
import re

import msgspec
from quart import Quart, Response, jsonify
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from courtside.protocol import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

log = logging.getLogger(__name__)

# Werkzeug raises these from routing and body reading, before any handler runs.
_ROUTING_ERRORS: dict[int, type[ApiError]] = {
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}

_FIELD_PATH = re.compile(r" - at `\$\.([A-Za-z0-9_]+)")
_MISSING_FIELD = re.compile(r"missing required field `([A-Za-z0-9_]+)`")


def install(app: Quart) -> None:
    app.register_error_handler(ApiError, render)
    app.register_error_handler(RequestSchemaValidationError, _render_schema_error)
    app.register_error_handler(HTTPException, _render_http_exception)
    app.register_error_handler(Exception, _render_unexpected)


async def render(error: ApiError) -> Response:
    response = jsonify(error.envelope())
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


async def _render_schema_error(error: RequestSchemaValidationError) -> Response:
    return await render(ValidationFailed(errors=field_errors(error.validation_error)))


def field_errors(error: Exception) -> dict[str, list[str]]:
    """Turn a msgspec validation message into ``{field: [message]}``."""
    message = str(error)
    if missing := _MISSING_FIELD.search(message):
        return {missing.group(1): ["This field is required."]}
    if isinstance(error, msgspec.ValidationError) and (at := _FIELD_PATH.search(message)):
        return {at.group(1): [message[: at.start()] + "."]}
    return {"non_field_errors": [message if isinstance(error, msgspec.ValidationError)
                                 else "Invalid request body."]}


async def _render_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    kind = _ROUTING_ERRORS.get(status)
    if kind is not None:
        api_error = kind()
    else:
        api_error = ApiError(error.description, code=error.name.lower().replace(" ", "_"))
    response = await render(api_error)
    response.status_code = status
    if valid_methods := getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


async def _render_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return await render(InternalError())
