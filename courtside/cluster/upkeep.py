"""The loops a node's cluster tasks run: listen again after a failure, sweep now and then."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio

log = logging.getLogger(__name__)

FIRST_RETRY = 0.1
LAST_RETRY = 5.0


async def again_and_again(what: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run ``work`` until cancelled, starting it again when it fails: soon after one
    that had been running a while, later and later after each that failed at once."""
    delay = FIRST_RETRY
    while True:
        began = trio.current_time()
        try:
            await work()
        except Exception:
            if trio.current_time() - began > LAST_RETRY:
                delay = FIRST_RETRY
            log.exception("%s failed; again in %g s", what, delay)
            await trio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)


async def every(seconds: float, what: str, work: Callable[[], Awaitable[object]]) -> None:
    """Run ``work`` every ``seconds`` until cancelled; a failure waits for the next turn."""
    while True:
        await trio.sleep(seconds)
        try:
            await work()
        except Exception:
            log.exception("could not %s", what)
