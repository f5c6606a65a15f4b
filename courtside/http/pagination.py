"""limit/offset pagination with absolute next/previous links (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

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
    """The query string of every list (for ``validate_querystring``); a list that
    takes more parameters subclasses it."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0

    @property
    def page(self) -> Page:
        return Page(self.limit, self.offset)


class ScrollQuery(PageQuery, frozen=True):
    """A list, newest first, that may page back from an item's id (``before``):
    stable while new items arrive."""

    before: RowId | None = None


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
