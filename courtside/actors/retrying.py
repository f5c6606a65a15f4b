"""Database work an actor must not lose to a short outage: tried again with backoff."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

log = logging.getLogger(__name__)

T = TypeVar("T")

# About 15 s of waits in all (plus each try's own time): long enough for a database
# restart or failover, short enough for a shutdown's grace period.
ATTEMPTS = 6
FIRST_DELAY = 0.5


async def retrying(
    work: Callable[[int], Awaitable[T]],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY,
    on_retry: Callable[[], None] = lambda: None,
) -> T:
    """``work(attempt)`` until it succeeds, ``attempts`` times at most, the delay
    doubling from ``first_delay``; the last failure is raised."""
    delay, attempt = first_delay, 1
    while True:
        try:
            return await work(attempt)
        except Exception as failure:
            if attempt == attempts:
                raise
            on_retry()
            log.warning("%s failed (%r); trying again in %g s", what, failure, delay)
        await trio.sleep(delay)
        delay, attempt = delay * 2, attempt + 1
