"""Wire-level types shared by every layer: errors, envelopes, codecs, close codes.

Nothing here imports the rest of Courtside.
"""

from .close_codes import CloseCode
from .errors import (
    ApiError,
    AuthenticationFailed,
    Conflict,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    ParseError,
    PayloadTooLarge,
    ServiceUnavailable,
    Throttled,
    UnsupportedMediaType,
    ValidationFailed,
    envelope,
)

__all__ = [
    "ApiError",
    "AuthenticationFailed",
    "CloseCode",
    "Conflict",
    "Forbidden",
    "InternalError",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "ParseError",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "Throttled",
    "UnsupportedMediaType",
    "ValidationFailed",
    "envelope",
]
