"""What makes a process a node of the cluster, started and stopped in one place."""

from __future__ import annotations

from collections.abc import Callable

import trio

from courtside.actors.bus import Bus
from courtside.actors.engagements import Engagements
from courtside.actors.hub import HUB, NotificationHub
from courtside.actors.registry import Registry
from courtside.actors.supervisor import Restart, Supervisor
from courtside.persistence import Database
from courtside.persistence.cluster import HEARTBEAT_SECONDS

from .event_stream import EventStream
from .membership import Membership
from .ownership import Ownership
from .placement import Placement
from .presence import Presence
from .remote import RemoteCalls


class ClusterNode:
    """Membership, the event stream, engagements, presence, this node's hub, and the bus."""

    def __init__(
        self,
        database: Database,
        registry: Registry,
        *,
        load: Callable[[], tuple[int, int]] = lambda: (0, 0),
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        """``heartbeat_seconds`` is the cluster's; a node alone on a mock clock (a test of
        one actor) may beat less often, so that virtual time can leap ahead."""
        self.stream = EventStream(database, registry)
        self.engagements = Engagements(database, node_id=lambda: self.membership.node_id)
        self.presence = Presence(
            database, node_id=lambda: self.membership.node_id, publish=self.stream.publish,
        )
        self.membership = Membership(database, load=load, on_dead_node=self._reap,
                                     heartbeat_seconds=heartbeat_seconds)
        self.calls = RemoteCalls(database, registry, lambda: self.membership.node_id)
        self.ownership = Ownership(database, registry, self.calls, lambda: self.membership.node_id)
        self.placement = Placement(database, self.membership, self.calls)
        self.bus = Bus(registry, stream=self.stream, presence=self.presence,
                       ownership=self.ownership)

    @property
    def node_id(self) -> int:
        return self.membership.node_id

    async def start(self, nursery: trio.Nursery, supervisor: Supervisor, *, game_url: str) -> None:
        """Join the cluster and hear its events; the hub runs under ``supervisor``."""
        await supervisor.start(NotificationHub, name=HUB, restart=Restart.ON_FAILURE, vital=True)
        await nursery.start(self.presence.run)
        await nursery.start(self.stream.run_writer)
        await nursery.start(self.stream.run_listener)
        # Joined before HTTP serves: a connection opening at once counts on this node.
        await self.membership.join(game_url=game_url)
        await nursery.start(self.membership.run)
        await nursery.start(self.calls.run)
        await self.stream.listening.wait()
        await self.calls.listening.wait()

    async def serving_at(self, http_url: str) -> None:
        """The node serves HTTP there: say so in its row."""
        await self.membership.serving_at(http_url)

    async def _reap(self, node_id: int) -> None:
        """Clean up after a dead node: take over its actors that must go on, then
        free its users (those a taken-over tournament holds are its again)."""
        await self.ownership.inherit(node_id)
        await self.engagements.forget_node(node_id)
        await self.presence.forget_node(node_id)

    async def leave(self) -> None:
        await self.membership.leave()
