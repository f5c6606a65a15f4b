"""The registry: actor names to handles, so actors find each other by name.

Names read `kind:id` (`match:ab12`, `chat:42`, `queue:ranked`); the kind is what
metrics group by. A name holds one handle at a time, and a handle leaves only
by the hand that put it there, so a restarted actor's stale incarnation cannot
remove its successor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

from courtside.actors.handle import ActorGone, Handle, MailboxFull, Reply, RequestTimeout

T = TypeVar("T")

SCAN_CHUNK = 256  # inboxes read between two checkpoints of a scan


class NameTaken(Exception):
    """Another live actor already holds this name."""


def kind_of(name: str) -> str:
    """The part of an actor name before ':' (`match:ab12` is a `match`)."""
    return name.partition(":")[0]


class Registry:
    """Maps names to the handles of live actors."""

    def __init__(self) -> None:
        self._handles: dict[str, Handle[Any]] = {}

    def register(self, name: str, handle: Handle[Any]) -> None:
        """Make `handle` reachable as `name`; NameTaken if the name is held."""
        if name in self._handles:
            raise NameTaken(name)
        self._handles[name] = handle

    def lookup(self, name: str) -> Handle[Any] | None:
        return self._handles.get(name)

    def unregister(self, name: str, handle: Handle[Any]) -> None:
        """Forget `name`, but only while it still maps to `handle`."""
        if self._handles.get(name) is handle:
            del self._handles[name]

    def __len__(self) -> int:
        return len(self._handles)

    def names(self) -> list[str]:
        """Every registered name, as of now."""
        return list(self._handles)

    async def depth_by_kind(self) -> dict[str, int]:
        """Messages queued in registered inboxes, summed per kind (for /metrics).

        Read a chunk at a time, with a checkpoint between: a node holds thousands of
        actors, and reading one inbox costs microseconds, so the whole scan at once
        held the loop for milliseconds at every scrape.
        """
        depths: Counter[str] = Counter()
        handles = list(self._handles.items())  # actors come and go between chunks
        for first in range(0, len(handles), SCAN_CHUNK):
            if first:
                await trio.lowlevel.checkpoint()
            for name, handle in handles[first : first + SCAN_CHUNK]:
                depths[kind_of(name)] += handle.depth
        return dict(depths)


async def ask_named(
    find: Callable[[str], Awaitable[Any]],
    name: str,
    make_message: Callable[[Reply[T]], Any],
    *,
    timeout: float,
    missing: Exception,
    busy: Exception,
) -> T:
    """Request the actor called ``name``, on whichever node runs it (``find`` is the
    bus's): ``missing`` when no actor holds the name or it exits before answering,
    ``busy`` when it cannot take or answer the request in time. Callers pass the
    errors their clients should see."""
    handle = await find(name)
    if handle is None:
        raise missing
    try:
        return await handle.request(make_message, timeout=timeout)
    except ActorGone:
        raise missing from None
    except (MailboxFull, RequestTimeout):
        raise busy from None
