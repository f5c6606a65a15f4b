"""limit/offset pagination with absolute next/previous links (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from courtside.protocol import ValidationFailed
from courtside.protocol.user_messages import RowId

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# PostgreSQL's OFFSET is a bigint: past it the query fails instead of coming back empty.
MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


class PageQuery(msgspec.Struct, frozen=True):
    """The query string of a list, newest first, that may page back from an item's id
    (``before``): stable while new items arrive. For ``validate_querystring``."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0
    before: RowId | None = None

    @property
    def page(self) -> Page:
        return Page(self.limit, self.offset)


def page_from(query: Mapping[str, str]) -> Page:
    """Read ``limit`` and ``offset`` from a query string; bad values are a 400."""
    errors: dict[str, list[str]] = {}
    limit = _integer(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors)
    offset = _integer(query, "offset", 0, 0, MAX_OFFSET, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return Page(limit, offset)


def _integer(
    query: Mapping[str, str],
    name: str,
    default: int,
    least: int,
    most: int | None,
    errors: dict[str, list[str]],
) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = ["A valid integer is required."]
        return default
    if value < least or (most is not None and value > most):
        bound = f"between {least} and {most}" if most is not None else f"at least {least}"
        errors[name] = [f"Ensure this value is {bound}."]
    return value


def paginated(url: str, page: Page, count: int, results: Sequence[Any]) -> dict[str, Any]:
    """The response body for one page of ``count`` items, linking its neighbours."""
    next_offset = page.offset + page.limit
    previous_offset = max(0, page.offset - page.limit)
    return {
        "count": count,
        "next": _with_page(url, page.limit, next_offset) if next_offset < count else None,
        "previous": _with_page(url, page.limit, previous_offset) if page.offset > 0 else None,
        "results": list(results),
    }


def _with_page(url: str, limit: int, offset: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("limit", "offset")]
    query += [("limit", str(limit)), ("offset", str(offset))]
    return urlunsplit(parts._replace(query=urlencode(query)))
