"""The bus: how actors and handlers reach users (DESIGN.md §10).

Everything that may one day cross a process goes through here: today it hands
messages to this process's notification hub; later PostgreSQL LISTEN/NOTIFY
carries the same calls. The hub is found by name on every call, so a hub the
supervisor restarted is picked up at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from .handle import ActorGone, Handle, MailboxFull, Reply
from .hub import (
    HUB,
    Connect,
    Connection,
    ConnectionCount,
    Disconnect,
    EndConnections,
    PresenceChanged,
    PresenceOf,
    Publish,
    UserPresence,
    WhoIsOnline,
)
from .registry import Registry

log = logging.getLogger(__name__)

T = TypeVar("T")

REQUEST_TIMEOUT = 5.0
OFFLINE = UserPresence(is_online=False, game_playing=None)


# Given every published event, to keep the notable ones (notification_store); must not block.
InboxSink = Callable[[tuple[int, ...], str, dict[str, Any], dict[str, Any]], None]


class Bus:
    def __init__(self, registry: Registry, *, inbox: InboxSink | None = None) -> None:
        self._registry = registry
        self._inbox = inbox

    def _hub(self) -> Handle[Any]:
        hub = self._registry.lookup(HUB)
        if hub is None:
            raise ActorGone(f"{HUB} is not running")
        return hub

    def _tell(self, message: object, lost: str) -> None:
        """Hand the hub a message that needs no answer; never blocks, never raises."""
        try:
            self._hub().send_nowait(message)
        except (ActorGone, MailboxFull) as why:
            log.warning("%s: %r", lost, why)

    async def _ask(self, make_message: Callable[[Reply[T]], object], unknown: T, what: str) -> T:
        """The hub's answer, or ``unknown`` while it restarts or is overwhelmed."""
        try:
            return await self._hub().request(make_message, timeout=REQUEST_TIMEOUT)
        except (ActorGone, MailboxFull) as why:
            log.warning("%s unknown: %r", what, why)
            return unknown

    def publish(
        self, user_ids: Iterable[int], name: str, data: dict[str, Any],
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Send an event to every open channel of these users; never blocks.

        The caller's own work (a committed row, a started match) stands even if
        the hub cannot take the event: clients that miss it see the state by REST.
        """
        recipients, extra = tuple(user_ids), kwargs or {}
        self._tell(Publish(recipients, name, data, extra), f"event {name} lost")
        if self._inbox is not None:
            self._inbox(recipients, name, data, extra)

    def publish_to_user(
        self, user_id: int, name: str, data: dict[str, Any], kwargs: dict[str, Any] | None = None
    ) -> None:
        self.publish((user_id,), name, data, kwargs)

    def end_connections(self, user_id: int) -> None:
        """Close every live connection of the user: their tokens were revoked."""
        self._tell(EndConnections(user_id), f"user {user_id}: connections not ended")

    def presence_changed(self, user_ids: Iterable[int]) -> None:
        """These users started or stopped playing; their friends are told."""
        self._tell(PresenceChanged(tuple(user_ids)), "presence change lost")

    async def presence(self, user_ids: Iterable[int]) -> dict[int, UserPresence]:
        """Who of these users is online and what they play; offline while the hub restarts."""
        user_ids = tuple(user_ids)
        return await self._ask(
            lambda reply: PresenceOf(user_ids, reply), dict.fromkeys(user_ids, OFFLINE), "presence"
        )

    async def online_user_ids(self) -> list[int]:
        """Everyone online on this node; nobody while the hub restarts."""
        return await self._ask(WhoIsOnline, [], "who is online")

    async def connection_count(self, user_id: int) -> int:
        """How many live connections the user holds (0 while the hub restarts)."""
        return await self._ask(lambda reply: ConnectionCount(user_id, reply), 0, "connection count")

    @asynccontextmanager
    async def connect(self, user_id: int, last_event_id: int | None = None) -> AsyncIterator[Connection]:
        """Hold a live connection for the user: events missed since ``last_event_id``
        in ``replay``, then every new one on ``events``. The user is online meanwhile.
        TooManyConnections when they hold MAX_CONNECTIONS_PER_USER already."""
        hub = self._hub()
        connection = await hub.request(
            lambda reply: Connect(user_id, last_event_id, reply), timeout=REQUEST_TIMEOUT
        )
        try:
            yield connection
        finally:
            try:
                hub.send_nowait(Disconnect(connection))
            except ActorGone:
                pass  # a hub that is gone has forgotten the connection already
            except MailboxFull:
                log.error("user %s: hub too busy to hear a connection close", user_id)
