"""Request bodies are JSON (DESIGN.md §3): a wrong type is 415, malformed JSON 400."""

from __future__ import annotations

from typing import NoReturn

from quart import request
from quart_trio.wrappers import TrioRequest

from courtside.protocol import ParseError, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_BODY = 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JsonRequest(TrioRequest):
    """Malformed JSON raises our 400 instead of werkzeug's bare BadRequest."""

    def on_json_loading_failed(self, error: Exception | None) -> NoReturn:
        raise ParseError(f"JSON parse error - {error}")


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    ).lower()


async def check_request_body() -> None:
    """before_request: refuse an oversized body up front, and any body but JSON."""
    if (request.content_length or 0) > (request.max_content_length or MAX_JSON_BODY):
        raise PayloadTooLarge()
    if request.method in UNSAFE_METHODS and _has_body() and not request.is_json:
        raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}" in request.')

