"""Actor leases: which node owns each named actor (DESIGN.md §10).

A claim succeeds when nobody holds the name, or when its holder is no longer
alive; one statement decides, so two nodes never both win the same name.
"""

from __future__ import annotations

from .cluster import LIVE
from .database import Database


class Leases:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, name: str, node_id: int) -> int:
        """Take ``name`` for ``node_id`` unless a live node holds it; returns the owner."""
        while True:
            claimed = await self._db.fetchval(
                "INSERT INTO actor_leases (name, node_id) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET node_id = EXCLUDED.node_id, claimed_at = now()"
                f" WHERE actor_leases.node_id NOT IN (SELECT id FROM cluster_nodes WHERE {LIVE})"
                " RETURNING node_id",
                name, node_id, write=True,
            )
            owner = claimed if claimed is not None else await self.owner(name)
            if owner is not None:
                return owner
            # Its holder was declared dead between the two statements: claim again.

    async def owner(self, name: str) -> int | None:
        """The live node that holds ``name``, if any."""
        return await self._db.fetchval(
            "SELECT node_id FROM actor_leases"
            f" WHERE name = %s AND node_id IN (SELECT id FROM cluster_nodes WHERE {LIVE})",
            name,
        )

    async def release(self, name: str, node_id: int) -> None:
        await self._db.execute(
            "DELETE FROM actor_leases WHERE name = %s AND node_id = %s", name, node_id
        )

    async def held_by(self, node_id: int) -> list[str]:
        rows = await self._db.fetch(
            "SELECT name FROM actor_leases WHERE node_id = %s ORDER BY name", node_id
        )
        return [row[0] for row in rows]


class BusMessages:
    """Bodies of bus messages over NOTIFY's limit."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, body: bytes) -> int:
        return await self._db.fetchval(
            "INSERT INTO bus_messages (body) VALUES (%s) RETURNING id", body, write=True
        )

    async def take(self, message_id: int) -> bytes | None:
        body = await self._db.fetchval(
            "DELETE FROM bus_messages WHERE id = %s RETURNING body", message_id, write=True
        )
        return None if body is None else bytes(body)

    async def forget_older_than(self, seconds: float) -> None:
        await self._db.execute(
            "DELETE FROM bus_messages WHERE created_at < now() - make_interval(secs => %s)", seconds
        )
