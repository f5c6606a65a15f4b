"""This node's place in the cluster: its row, its heartbeat, and who else is alive.

A node registers once it serves and beats every HEARTBEAT_SECONDS. Each beat also
looks for nodes that stopped beating: the survivor whose claim marks one stopped
cleans up after it (``on_dead_node``), so a dead node is reaped exactly once. A
node that finds itself declared dead (it stalled past DEAD_AFTER_SECONDS while
the others went on) stops: a survivor has already aborted its matches and
cleared its users, so going on would serve ghosts.

A node judges others only once it has been in touch with the database for
DEAD_AFTER_SECONDS: after an outage every heartbeat is old, and the first node
back must give the others the time to beat again before it calls them dead.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable

import trio

from courtside.persistence import Database
from courtside.persistence.cluster import DEAD_AFTER_SECONDS, HEARTBEAT_SECONDS, NodeRow, Nodes

log = logging.getLogger(__name__)


class NodeDeclaredDead(Exception):
    """The cluster declared this node dead while it still ran."""


class Membership:
    def __init__(
        self,
        database: Database,
        *,
        load: Callable[[], tuple[int, int]],
        on_dead_node: Callable[[int], Awaitable[None]],
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._nodes = Nodes(database)
        self._load = load  # (live matches, open connections) of this node
        self._on_dead_node = on_dead_node
        self._heartbeat = heartbeat_seconds
        self.node_id = 0
        self.live: list[NodeRow] = []
        self._beating = trio.CancelScope()
        self._in_touch_since: float | None = None  # since the last beat that failed

    async def join(self, *, game_url: str) -> int:
        """Register; the HTTP URL follows once the server is bound (``serving_at``)."""
        self.node_id = await self._nodes.register(
            http_url="", game_url=game_url, pid=os.getpid(), hostname=socket.gethostname()
        )
        self.live = await self._nodes.live()
        self._in_touch_since = trio.current_time()
        log.info("joined the cluster as node %d (%d live)", self.node_id, len(self.live))
        return self.node_id

    async def serving_at(self, http_url: str) -> None:
        await self._nodes.serving_at(self.node_id, http_url)
        self.live = await self._nodes.live()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Beat until ``leave``; NodeDeclaredDead if the cluster gave up on us."""
        with self._beating:
            task_status.started()
            while True:
                await trio.sleep(self._heartbeat)
                try:
                    await self._beat()
                except NodeDeclaredDead:
                    raise
                except Exception:
                    # A database hiccup: the next beat tries again, and the others wait
                    # DEAD_AFTER_SECONDS before they give up on us.
                    self._in_touch_since = None
                    log.exception("heartbeat failed")

    async def _beat(self) -> None:
        live_matches, connections = self._load()
        alive = await self._nodes.beat(self.node_id, live_matches=live_matches, connections=connections)
        if not alive and not self._beating.cancel_called:  # not our own leave() racing the beat
            raise NodeDeclaredDead(f"node {self.node_id} was declared dead by the cluster")
        now = trio.current_time()
        if self._in_touch_since is None:
            self._in_touch_since = now
        if now - self._in_touch_since >= DEAD_AFTER_SECONDS:
            await self._reap_the_dead()
        self.live = await self._nodes.live()

    async def _reap_the_dead(self) -> None:
        for dead in await self._nodes.claim_dead(self.node_id):
            log.warning("node %d stopped beating: cleaning up after it", dead)
            try:
                await self._on_dead_node(dead)
            except Exception:
                log.exception("could not clean up after node %d", dead)

    async def leave(self) -> None:
        """Stop beating and say we are gone, so nobody waits for the heartbeat to time out."""
        self._beating.cancel()
        if self.node_id:
            with trio.CancelScope(shield=True), trio.move_on_after(2):
                await self._nodes.leave(self.node_id)
