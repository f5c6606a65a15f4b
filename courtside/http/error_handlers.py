"""One place renders every error as the envelope of DESIGN.md §3."""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, Response, current_app, jsonify, request
from quart_schema import RequestSchemaValidationError
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    QuerystringValidationError,
)
from werkzeug.exceptions import HTTPException

from courtside.persistence import DatabaseUnavailable
from courtside.protocol import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)

from .bodies import body_errors

log = logging.getLogger(__name__)

# Seconds a client waits before retrying while PostgreSQL is away.
DATABASE_RETRY_AFTER = 5

# Werkzeug raises these from routing and body reading, before any handler runs.
_ROUTING_ERRORS: dict[int, type[ApiError]] = {
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def install(app: Quart) -> None:
    app.register_error_handler(ApiError, render)
    app.register_error_handler(RequestSchemaValidationError, _render_schema_error)
    app.register_error_handler(HTTPException, _render_http_exception)
    app.register_error_handler(DatabaseUnavailable, _render_database_unavailable)
    app.register_error_handler(Exception, _render_unexpected)


async def render(error: ApiError) -> Response:
    response = jsonify(error.envelope())
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


async def _render_schema_error(error: RequestSchemaValidationError) -> Response:
    # The model the view declared, and what it was given: the query string, or the
    # body (parsed and cached).
    view = current_app.view_functions.get(request.endpoint or "")
    if isinstance(error, QuerystringValidationError):
        model = getattr(view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE, None)
        data: Any = request.args.to_dict()
    else:
        model = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, (None,))[0]
        data = await request.get_json(silent=True)
    return await render(ValidationFailed(errors=body_errors(data, model, error.validation_error)))


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


async def _render_database_unavailable(error: DatabaseUnavailable) -> Response:
    log.warning("database unavailable: %s", error)
    return await render(ServiceUnavailable(
        "The database is unavailable; try again shortly.", code="database_unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    ))


async def _render_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return await render(InternalError())
