"""The bus: how actors and handlers reach users, on whichever node they are (DESIGN.md §10).

Everything that crosses a process goes through here. Its backend today is the
cluster's PostgreSQL (``courtside.cluster``): events go to a log and out by
LISTEN/NOTIFY to every node's hub, presence is counted in the database. A Redis
or NATS backend could take its place behind the same calls. The local hub is
found by name on every call, so a hub the supervisor restarted is picked up at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import trio

from .handle import ActorGone, Handle, MailboxFull
from .hub import HUB, Connect, Connection, Disconnect, UserPresence
from .registry import Registry

if TYPE_CHECKING:
    from courtside.cluster import EventStream, Ownership, Presence

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 5.0


# Given every published event, to keep the notable ones (notification_store); must not block.
InboxSink = Callable[[tuple[int, ...], str, dict[str, Any], dict[str, Any]], None]


class Bus:
    def __init__(self, registry: Registry, *, stream: EventStream, presence: Presence,
                 ownership: Ownership) -> None:
        self._registry = registry
        self._stream = stream
        self._presence = presence
        self._ownership = ownership
        self._inbox: InboxSink | None = None

    def keep_notable(self, inbox: InboxSink) -> None:
        """Hand every event this node publishes to ``inbox`` too (the notification inbox
        is written by the publishing node, so each event is stored once)."""
        self._inbox = inbox

    # Named actors: one live owner each in the cluster, reached from any node.

    async def find(self, name: str) -> Any:
        """The actor called ``name``, as a Handle to ask or tell, wherever it runs;
        None when no live node runs it."""
        return await self._ownership.find(name)

    async def claim(self, name: str) -> bool:
        """Make this node the owner of ``name`` if no live node is; True if it is now."""
        return await self._ownership.claim(name)

    async def release(self, name: str) -> None:
        """The actor ``name`` ended here: another node may run it next."""
        await self._ownership.release(name)

    async def singleton(self, name: str, start: Callable[[], Awaitable[object]]) -> None:
        """Start the cluster's only ``name`` here unless a live node runs it; a
        survivor of its owner starts it again."""
        await self._ownership.singleton(name, start)

    def take_over(self, kind: str, takeover: Callable[[str], Awaitable[None]]) -> None:
        """How this node takes over a dead node's actors of ``kind``."""
        self._ownership.take_over(kind, takeover)

    # Users.

    def publish(
        self, user_ids: Iterable[int], name: str, data: dict[str, Any],
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Send an event to every open channel of these users, on every node; never blocks.

        The caller's own work (a committed row, a started match) stands even if
        the event cannot be sent: clients that miss it see the state by REST.
        """
        recipients, extra = tuple(user_ids), kwargs or {}
        self._stream.publish(recipients, name, data, extra)
        if self._inbox is not None:
            self._inbox(recipients, name, data, extra)

    def publish_to_user(
        self, user_id: int, name: str, data: dict[str, Any], kwargs: dict[str, Any] | None = None
    ) -> None:
        self.publish((user_id,), name, data, kwargs)

    def end_connections(self, user_id: int) -> None:
        """Close every live connection of the user, on every node: their tokens were revoked."""
        self._stream.end_connections(user_id)

    def presence_changed(self, user_ids: Iterable[int]) -> None:
        """These users started or stopped playing here; their friends are told."""
        self._presence.playing_changed(user_ids)

    async def presence(self, user_ids: Iterable[int]) -> dict[int, UserPresence]:
        """Who of these users is online anywhere, and what they play."""
        return await self._presence.of(user_ids)

    async def online_user_ids(self) -> list[int]:
        """Everyone online on any node."""
        return await self._presence.everyone_online()

    async def connection_count(self, user_id: int) -> int:
        """How many live connections the user holds across the cluster."""
        return await self._presence.connections(user_id)

    @asynccontextmanager
    async def connect(self, user_id: int, last_event_id: int | None = None) -> AsyncIterator[Connection]:
        """Hold a live connection for the user: events missed since ``last_event_id``
        (on any node) in ``replay``, then every new one on ``events``. The user is
        online meanwhile. TooManyConnections when they hold MAX_CONNECTIONS_PER_USER
        already, counting every node; ActorGone while the hub restarts."""
        hub = self._hub()
        await self._presence.came_online(user_id)
        try:
            connection = await hub.request(lambda reply: Connect(user_id, reply), timeout=REQUEST_TIMEOUT)
            try:
                await self._stream.catch_up(connection, last_event_id)
                yield connection
            finally:
                try:
                    hub.send_nowait(Disconnect(connection))
                except ActorGone:
                    pass  # a hub that is gone has forgotten the connection already
                except MailboxFull:
                    log.error("user %s: hub too busy to hear a connection close", user_id)
        finally:
            # Also when the connection ends by cancellation (shutdown, a closed socket).
            with trio.CancelScope(shield=True), trio.move_on_after(REQUEST_TIMEOUT):
                await self._presence.went_away(user_id)

    def _hub(self) -> Handle[Any]:
        hub = self._registry.lookup(HUB)
        if hub is None:
            raise ActorGone(f"{HUB} is not running")
        return hub
