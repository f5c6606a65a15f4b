"""What a route answers on success, declared once for the handler and for /openapi.json.

A JSON body is declared with quart-schema's ``validate_response(Model, status)``:
the handler's dict or struct goes out converted through ``Model``, so the body
sent is the one the document shows. Response models are ``Shown`` structs, which
refuse a field they do not declare: a key a handler adds and its model lacks is
a 500 in the tests, never a silent drift of the document. ``Paged[Item]`` is the
body of every list (DESIGN.md §3).

The answers with no JSON body are declared with ``no_content`` (204),
``redirects`` (302) and ``serves`` (a file, a page, a stream); the OpenAPI
provider documents them from the same mark. ``fails_with`` declares the error
statuses a route's own rules answer, beyond those the provider derives from the
route's shape.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Generic, TypeVar

import msgspec

F = TypeVar("F", bound=Callable[..., object])
Item = TypeVar("Item")

# The view attribute ``bodiless`` sets: {status: (description, media type or None)}.
BODILESS_RESPONSES = "_courtside_bodiless_responses"
# The view attribute ``fails_with`` sets: a frozenset of error statuses.
FAILURES = "_courtside_failures"


class Shown(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A response body: only the fields it declares may go out."""


class Paged(Shown, Generic[Item]):
    """One page of a list: ``next`` and ``previous`` are absolute URLs, or null."""

    count: int
    next: str | None
    previous: str | None
    results: list[Item]


@functools.cache
def page_of(item: type) -> type[Paged]:
    """``Paged[item]`` as a class of its own (``<Item>Page``): quart-schema converts a
    response through a class, not through a generic alias."""
    return types.new_class(f"{item.__name__}Page", (Paged[item],), {},
                           lambda namespace: namespace.update(__module__=item.__module__,
                                                             __doc__=Paged.__doc__))


def bodiless(status: int, description: str, media_type: str | None = None) -> Callable[[F], F]:
    """The route answers ``status`` with no JSON body: none at all, or ``media_type``."""

    def mark(view: F) -> F:
        declared = dict(getattr(view, BODILESS_RESPONSES, {}))
        declared[status] = (description, media_type)
        setattr(view, BODILESS_RESPONSES, declared)
        return view

    return mark


def no_content(description: str = "Done: no body") -> Callable[[F], F]:
    return bodiless(204, description)


def redirects(description: str) -> Callable[[F], F]:
    return bodiless(302, description)


def serves(media_type: str, description: str) -> Callable[[F], F]:
    return bodiless(200, description, media_type)


def fails_with(*statuses: int) -> Callable[[F], F]:
    """The route's own rules also answer these errors: a 409 for a caller engaged
    elsewhere, a 404 for a user its body names or for the caller's lobby it lacks."""

    def mark(view: F) -> F:
        setattr(view, FAILURES, getattr(view, FAILURES, frozenset()) | frozenset(statuses))
        return view

    return mark
