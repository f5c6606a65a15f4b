"""One live owner per named actor, claimed in PostgreSQL; found from any node.

A node claims a name before it starts the actor (``claim``), and gives it up
when the actor ends (``release``). Any node finds the actor by name: its own
registry first, else the lease's owner, reached through a RemoteHandle. When a
node dies its leases are free to be taken over: a survivor restarts what must
go on (``takeovers``, by kind of name) and lets the rest start again on demand.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from courtside.actors.registry import NameTaken, Registry, kind_of
from courtside.persistence import Database
from courtside.persistence.leases import Leases

from .remote import RemoteCalls, RemoteHandle

log = logging.getLogger(__name__)

Takeover = Callable[[str], Awaitable[None]]


class Ownership:
    def __init__(self, database: Database, registry: Registry, calls: RemoteCalls,
                 node_id: Callable[[], int]) -> None:
        self._leases = Leases(database)
        self._registry = registry
        self._calls = calls
        self._node_id = node_id
        self._takeovers: dict[str, Takeover] = {}

    async def claim(self, name: str) -> bool:
        """True when this node now owns ``name`` (it held it already, or nobody alive did)."""
        return await self._leases.claim(name, self._node_id()) == self._node_id()

    async def release(self, name: str) -> None:
        await self._leases.release(name, self._node_id())

    async def find(self, name: str) -> Any:
        """The running actor called ``name``: a local Handle, a RemoteHandle to its
        owner's node, or None when no live node runs it."""
        local = self._registry.lookup(name)
        if local is not None:
            return local
        owner = await self._leases.owner(name)
        if owner is None or owner == self._node_id():
            return None  # ours, but between incarnations: as good as missing for now
        return RemoteHandle(self._calls, owner, name)

    def take_over(self, kind: str, takeover: Takeover) -> None:
        """What this node does with a dead node's actors of ``kind`` (tournament, lobby)."""
        self._takeovers[kind] = takeover

    async def singleton(self, name: str, start: Callable[[], Awaitable[object]]) -> None:
        """Run the cluster's one ``name`` here if no live node does; whichever node
        survives its owner starts it then."""

        async def start_if_ours(name: str) -> None:
            if await self.claim(name):
                with contextlib.suppress(NameTaken):  # it runs here already
                    await start()

        self._takeovers[name] = start_if_ours
        await start_if_ours(name)

    async def inherit(self, dead_node: int) -> None:
        """A node died: each of its named actors with a takeover is claimed and restarted
        here, unless another survivor was quicker; the rest start again when asked for."""
        for name in await self._leases.held_by(dead_node):
            takeover = self._takeovers.get(name) or self._takeovers.get(kind_of(name))
            if takeover is None:
                continue
            try:
                await takeover(name)
            except Exception:
                log.exception("could not take over %s from node %d", name, dead_node)
