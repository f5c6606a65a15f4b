"""Request bodies (DESIGN.md §3): JSON unless a view accepts multipart, sized up front.

Limits are checked against Content-Length before anything is read, so a body
without one (chunked) is refused with 411 on unsafe methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

from quart import current_app, request
from quart_trio.wrappers import TrioRequest

from courtside.protocol import ApiError, ParseError, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_BODY = 1024 * 1024
# The largest body any view may declare: the app-wide ceiling Quart enforces.
MAX_ANY_BODY = 11 * 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., object])


class LengthRequired(ApiError):
    status = 411
    code = "length_required"
    detail = "A request body must declare its Content-Length."


class JsonRequest(TrioRequest):
    """Malformed JSON raises our 400 instead of werkzeug's bare BadRequest."""

    def on_json_loading_failed(self, error: Exception | None) -> NoReturn:
        raise ParseError(f"JSON parse error - {error}")


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Let a view take bodies up to ``max_bytes`` (at most MAX_ANY_BODY)."""
    if max_bytes > MAX_ANY_BODY:
        raise ValueError(f"body limit {max_bytes} exceeds the app ceiling {MAX_ANY_BODY}")

    def mark(view: F) -> F:
        view.body_limit = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def accepts_multipart(view: F) -> F:
    """Let a view take multipart/form-data (file uploads) instead of JSON."""
    view.accepts_multipart = True  # type: ignore[attr-defined]
    return view


async def check_request_body() -> None:
    """before_request: refuse an oversized or undeclared body, and unexpected types."""
    if request.method not in UNSAFE_METHODS:
        return
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and request.content_length is None:
        raise LengthRequired()
    if not request.content_length:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if request.content_length > getattr(view, "body_limit", MAX_JSON_BODY):
        raise PayloadTooLarge()
    multipart = getattr(view, "accepts_multipart", False) and request.mimetype == "multipart/form-data"
    if not (request.is_json or multipart):
        raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}" in request.')
