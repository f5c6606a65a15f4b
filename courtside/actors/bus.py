"""The bus: how actors tell users things (DESIGN.md §10).

Everything that may one day cross a process goes through here: today it is an
in-process fan-out; later PostgreSQL LISTEN/NOTIFY carries the same calls.
A subscriber that falls behind is cut off rather than slowing the publisher:
its channel closes, and its connection reconnects and replays.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import trio

log = logging.getLogger(__name__)

SUBSCRIBER_CAPACITY = 256


class UserEvent(msgspec.Struct, frozen=True):
    """One event for a user's channels: the reference's SSE name and its payload."""

    name: str
    data: dict[str, Any]


class Bus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[int, set[trio.MemorySendChannel[UserEvent]]] = (
            defaultdict(set)
        )

    def publish_to_user(self, user_id: int, name: str, data: dict[str, Any]) -> None:
        """Deliver to every open channel of the user; never blocks."""
        event = UserEvent(name, data)
        for channel in list(self._subscribers.get(user_id, ())):
            try:
                channel.send_nowait(event)
            except trio.WouldBlock:
                log.info("user %s subscriber fell %s events behind; cut off", user_id,
                         SUBSCRIBER_CAPACITY)
                self._drop(user_id, channel)
            except trio.BrokenResourceError:
                self._drop(user_id, channel)

    @contextmanager
    def subscribe(
        self, user_id: int, capacity: int = SUBSCRIBER_CAPACITY
    ) -> Iterator[trio.MemoryReceiveChannel[UserEvent]]:
        """The user's events from now on, until the block exits or we fall behind."""
        send, receive = trio.open_memory_channel[UserEvent](capacity)
        self._subscribers[user_id].add(send)
        try:
            with receive:
                yield receive
        finally:
            self._drop(user_id, send)

    def _drop(self, user_id: int, channel: trio.MemorySendChannel[UserEvent]) -> None:
        channel.close()
        channels = self._subscribers.get(user_id)
        if channels is not None:
            channels.discard(channel)
            if not channels:
                del self._subscribers[user_id]
