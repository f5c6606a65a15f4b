"""Error classes and the error envelope every 4xx/5xx carries (DESIGN.md §3).

Handlers raise these; one error handler in the HTTP layer renders them as
``{"detail": ..., "code": ...}`` plus ``"errors"`` on validation failures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class ApiError(Exception):
    """An error a client caused or must know about, with its HTTP status and code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    detail: ClassVar[str] = "A server error occurred."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or type(self).detail
        self.code = code or type(self).code
        self.errors = {field: list(messages) for field, messages in (errors or {}).items()}
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    def envelope(self) -> dict[str, Any]:
        return envelope(self.detail, self.code, self.errors or None)


def envelope(
    detail: str, code: str, errors: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = dict(errors)
    return body


class ValidationFailed(ApiError):
    status = 400
    code = "invalid"
    detail = "Invalid input."


class ParseError(ApiError):
    status = 400
    code = "parse_error"
    detail = "Malformed JSON body."


class NotAuthenticated(ApiError):
    status = 401
    code = "not_authenticated"
    detail = "Authentication credentials were not provided."


class AuthenticationFailed(ApiError):
    status = 401
    code = "authentication_failed"
    detail = "Incorrect authentication credentials."


class Forbidden(ApiError):
    status = 403
    code = "permission_denied"
    detail = "You do not have permission to perform this action."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    detail = "Not found."


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    detail = "Method not allowed."


class Conflict(ApiError):
    status = 409
    code = "conflict"
    detail = "The request conflicts with the current state."


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    detail = "Request body is too large."


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"
    detail = "Unsupported media type in request."


class Throttled(ApiError):
    status = 429
    code = "throttled"
    detail = "Request was throttled."

    def __init__(self, retry_after: float) -> None:
        # Retry-After takes whole seconds; round up so a client that obeys it succeeds.
        seconds = max(1, int(-(-retry_after // 1)))
        super().__init__(headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"
    detail = "The service is not ready."


class InternalError(ApiError):
    """Rendered for any unexpected exception: never leaks a traceback."""
