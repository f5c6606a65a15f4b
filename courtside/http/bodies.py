"""Request inputs (DESIGN.md §3): JSON unless a view accepts multipart, sized up front.

Limits are checked against Content-Length before anything is read, so a body
without one (chunked) is refused with 411 on unsafe methods. Text is checked
here once for every route: a body must be UTF-8, and no query parameter, path
or JSON string may hold NUL (PostgreSQL text cannot store one). A body that
does not fit its model names every bad field, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from quart import current_app, request
from quart_trio.wrappers import TrioRequest

from courtside.protocol import (
    ApiError,
    NotFound,
    ParseError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

MAX_JSON_BODY = 1024 * 1024
# The largest body any view may declare: the app-wide ceiling Quart enforces.
MAX_ANY_BODY = 11 * 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., object])
T = TypeVar("T")

NO_NUL = "NUL characters are not allowed."
# ``\u0000`` in JSON text, unless its backslash is itself escaped (``\\u0000``).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FIELD_PATH = re.compile(r" - at `\$\.([A-Za-z0-9_]+)")
_MISSING_FIELD = re.compile(r"missing required field `([A-Za-z0-9_]+)`")


class LengthRequired(ApiError):
    status = 411
    code = "length_required"
    detail = "A request body must declare its Content-Length."


class JsonRequest(TrioRequest):
    """A JSON body is parsed here for every view: bad bytes, bad JSON and NUL are our 400."""

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        try:
            result = parse_json(await self.get_data(cache=cache, as_text=False))
        except ApiError:
            if not silent:
                raise
            result = None
        if cache:
            self._cached_json[silent] = result
        return result


def parse_json(raw: bytes) -> Any:
    """The JSON value of a body that must be UTF-8 and hold no NUL in any string."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(f"The body is not valid UTF-8 (byte {error.start}).") from None
    try:
        data = current_app.json.loads(raw)
    except ValueError as error:
        raise ParseError(f"JSON parse error - {error}") from None
    if _NUL_ESCAPE.search(raw):
        raise ValidationFailed(errors=_fields_with_nul(data))
    return data


def _fields_with_nul(data: Any) -> dict[str, list[str]]:
    """The top-level fields whose value holds NUL somewhere; else the body as a whole."""
    if isinstance(data, dict) and not any("\x00" in key for key in data):
        return {key: [NO_NUL] for key, value in data.items()
                if _NUL_ESCAPE.search(msgspec.json.encode(value))}
    return {"non_field_errors": [NO_NUL]}


async def check_request_text() -> None:
    """before_request, any method: a path with NUL names nothing there is; a query
    parameter with NUL is a 400 naming it ("query" when its name holds the NUL)."""
    if "\x00" in request.path:
        raise NotFound()
    bad = sorted({name if "\x00" not in name else "query"
                  for name, value in request.args.items(multi=True) if "\x00" in name + value})
    if bad:
        raise ValidationFailed(errors={name: [NO_NUL] for name in bad})


def convert_body(data: Any, model: type[T]) -> T:
    """``data`` as ``model``, or a 400 that names every field it refuses."""
    try:
        return msgspec.convert(data, model, strict=False)
    except msgspec.ValidationError as error:
        raise ValidationFailed(errors=body_errors(data, model, error)) from None


async def optional_body(model: type[T]) -> T:
    """A JSON body that may be absent (a browser relying on its cookies, a join with
    no alias): the model's defaults then."""
    if not request.content_length:
        return model()
    return convert_body(await request.get_json(), model)


def body_errors(data: Any, model: type | None, error: Exception) -> dict[str, list[str]]:
    """``{field: [message]}`` for every bad field of an object body.

    msgspec stops at the first error; each field is then checked on its own so
    that a client fixes its form in one round trip. A failure no single field
    explains (the body is not an object, say) is reported as msgspec put it.
    """
    if isinstance(data, dict) and model is not None:
        errors = _each_field_errors(data, model)
        if errors:
            return errors
    return _first_error(error)


def _each_field_errors(data: dict[str, Any], model: type) -> dict[str, list[str]]:
    try:
        fields = msgspec.structs.fields(model)
    except TypeError:  # not a Struct
        return {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.encode_name not in data:
            if field.required:
                errors[field.encode_name] = ["This field is required."]
            continue
        try:
            msgspec.convert(data[field.encode_name], field.type, strict=False)
        except msgspec.ValidationError as error:
            errors[field.encode_name] = [f"{error}."]
    return errors


def _first_error(error: Exception) -> dict[str, list[str]]:
    """Turn msgspec's one validation message into ``{field: [message]}``."""
    message = str(error)
    if missing := _MISSING_FIELD.search(message):
        return {missing.group(1): ["This field is required."]}
    if isinstance(error, msgspec.ValidationError) and (at := _FIELD_PATH.search(message)):
        return {at.group(1): [message[: at.start()] + "."]}
    return {"non_field_errors": [message if isinstance(error, msgspec.ValidationError)
                                 else "Invalid request body."]}


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
