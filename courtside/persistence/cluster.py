"""The cluster's own rows: its nodes and their heartbeats, and its shared secrets.

A node is alive until it leaves or a survivor declares it dead, which happens
once its heartbeat is DEAD_AFTER_SECONDS old (``claim_dead``). Every query that
asks "who is alive" uses ``LIVE`` so they all agree; a node alone, with nobody
to declare it dead, stays alive however late its heartbeat.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import msgspec

from .database import Executor

HEARTBEAT_SECONDS = 1.0
# A few missed heartbeats: long enough for a busy node's thread pool to catch
# up, short enough that a survivor frees a dead node's players within seconds.
DEAD_AFTER_SECONDS = 5.0
LIVE = "stopped_at IS NULL"
SIGNING_KEY = "signing_key"


class NodeRow(msgspec.Struct, frozen=True):
    id: int
    http_url: str
    game_url: str
    pid: int
    hostname: str
    started_at: datetime
    heartbeat_at: datetime
    live_matches: int
    connections: int


_COLUMNS = "id, http_url, game_url, pid, hostname, started_at, heartbeat_at, live_matches, connections"


class Nodes:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def register(self, *, http_url: str, game_url: str, pid: int, hostname: str) -> int:
        return await self._db.fetchval(
            "INSERT INTO cluster_nodes (http_url, game_url, pid, hostname) VALUES (%s, %s, %s, %s)"
            " RETURNING id",
            http_url, game_url, pid, hostname, write=True,
        )

    async def serving_at(self, node_id: int, http_url: str) -> None:
        await self._db.execute("UPDATE cluster_nodes SET http_url = %s WHERE id = %s", http_url, node_id)

    async def beat(self, node_id: int, *, live_matches: int, connections: int) -> bool:
        """Record a heartbeat; False if the cluster has declared this node dead meanwhile."""
        touched = await self._db.execute(
            "UPDATE cluster_nodes SET heartbeat_at = now(), live_matches = %s, connections = %s"
            " WHERE id = %s AND stopped_at IS NULL",
            live_matches, connections, node_id,
        )
        return touched == 1

    async def leave(self, node_id: int) -> None:
        await self._db.execute(
            "UPDATE cluster_nodes SET stopped_at = now() WHERE id = %s AND stopped_at IS NULL", node_id
        )

    async def live(self) -> list[NodeRow]:
        return await self._db.fetch(
            f"SELECT {_COLUMNS} FROM cluster_nodes WHERE {LIVE} ORDER BY id", into=NodeRow
        )

    async def claim_dead(self, survivor_id: int) -> list[int]:
        """Other nodes that left, or stopped beating, each handed to exactly one survivor
        (the caller whose update marks it reaped), so what it left is taken over once."""
        rows = await self._db.fetch(
            "UPDATE cluster_nodes SET reaped_at = now(), stopped_at = coalesce(stopped_at, now())"
            " WHERE reaped_at IS NULL AND id <> %s AND (stopped_at IS NOT NULL"
            f" OR heartbeat_at <= now() - interval '{DEAD_AFTER_SECONDS} seconds')"
            " RETURNING id",
            survivor_id, write=True,
        )
        return [row[0] for row in rows]


async def cluster_secret(db: Executor, name: str, *, seed: str | None = None) -> str:
    """The cluster's secret ``name``, made once by whichever node asks first.

    ``seed`` is what it becomes if it does not exist yet (a key an older,
    single-node install kept in its data dir, so its tokens stay valid)."""
    value = seed or secrets.token_urlsafe(48)
    await db.execute(
        "INSERT INTO cluster_secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        name, value,
    )
    return await db.fetchval("SELECT value FROM cluster_secrets WHERE name = %s", name)
