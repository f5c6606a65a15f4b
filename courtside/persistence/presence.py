"""Who is online anywhere in the cluster, and what they play (DESIGN.md §5, §10).

Each node counts its own open connections per user in ``user_presence``; a user
is online while a live node counts one. What they play is their engagement in a
match. Rows of dead nodes are ignored (every read joins the live nodes) and
removed by the survivor that reaps the node.
"""

from __future__ import annotations

from collections.abc import Sequence

from .cluster import LIVE
from .database import Database, Executor

_LIVE_NODE = f"node_id IN (SELECT id FROM cluster_nodes WHERE {LIVE})"


class TooManyConnections(Exception):
    """The user holds the cluster's limit of live connections already."""


class PresenceRows:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self, user_id: int, node_id: int, *, limit: int) -> bool:
        """Count one more connection of the user on this node; True when it is their
        first anywhere (they just came online). TooManyConnections at the limit."""
        async with self._db.transaction() as tx:
            await _lock_user(tx, user_id)
            held = await _held(tx, user_id)
            if held >= limit:
                raise TooManyConnections()
            await tx.execute(
                "INSERT INTO user_presence (user_id, node_id, connections) VALUES (%s, %s, 1)"
                " ON CONFLICT (user_id, node_id)"
                " DO UPDATE SET connections = user_presence.connections + 1",
                user_id, node_id,
            )
        return held == 0

    async def close(self, user_id: int, node_id: int) -> bool:
        """One connection of the user on this node closed; True when it was their last."""
        async with self._db.transaction() as tx:
            await _lock_user(tx, user_id)
            others_open = await tx.execute(
                "UPDATE user_presence SET connections = connections - 1"
                " WHERE user_id = %s AND node_id = %s AND connections > 1",
                user_id, node_id,
            )
            if not others_open:
                await tx.execute(
                    "DELETE FROM user_presence WHERE user_id = %s AND node_id = %s", user_id, node_id
                )
            return await _held(tx, user_id) == 0

    async def connections(self, user_id: int) -> int:
        return await _held(self._db, user_id)

    async def online_among(self, user_ids: Sequence[int]) -> set[int]:
        rows = await self._db.fetch(
            f"SELECT DISTINCT user_id FROM user_presence WHERE user_id = ANY(%s) AND {_LIVE_NODE}",
            list(user_ids),
        )
        return {row[0] for row in rows}

    async def everyone_online(self) -> list[int]:
        rows = await self._db.fetch(
            f"SELECT DISTINCT user_id FROM user_presence WHERE {_LIVE_NODE} ORDER BY user_id"
        )
        return [row[0] for row in rows]

    async def playing(self, user_ids: Sequence[int]) -> dict[int, str]:
        """The match code each of these users plays, from their engagements."""
        rows = await self._db.fetch(
            "SELECT user_id, substr(engagement, 7) FROM engagements"
            " WHERE user_id = ANY(%s) AND engagement LIKE 'match:%%'",
            list(user_ids),
        )
        return dict(rows)

    async def forget_node(self, node_id: int) -> list[int]:
        """Remove a dead node's rows; returns the users it held who are online nowhere now."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(
                "DELETE FROM user_presence WHERE node_id = %s RETURNING user_id", node_id, write=True
            )
            held = [row[0] for row in rows]
            still = await tx.fetch(
                f"SELECT DISTINCT user_id FROM user_presence WHERE user_id = ANY(%s) AND {_LIVE_NODE}",
                held,
            )
        online = {row[0] for row in still}
        return [user_id for user_id in held if user_id not in online]


async def _lock_user(tx: Executor, user_id: int) -> None:
    # Opening and closing connections of one user on two nodes at once must agree
    # on who was first and who was last.
    await tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('presence:' || %s, 0))",
                     str(user_id))


async def _held(db: Executor, user_id: int) -> int:
    return await db.fetchval(
        f"SELECT coalesce(sum(connections), 0) FROM user_presence WHERE user_id = %s AND {_LIVE_NODE}",
        user_id,
    )
