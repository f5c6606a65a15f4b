"""Engagement rows: who is busy with what, one row per busy user, cluster-wide."""

from __future__ import annotations

from collections.abc import Sequence

from .database import Database


class EngagementRows:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, user_ids: Sequence[int]) -> dict[int, str]:
        rows = await self._db.fetch(
            "SELECT user_id, engagement FROM engagements WHERE user_id = ANY(%s)", list(user_ids)
        )
        return dict(rows)

    async def claim(self, user_ids: Sequence[int], engagement: str, node_id: int) -> dict[int, str]:
        """Engage all of them, or none: returns who is engaged elsewhere (empty: done)."""
        try:
            return await self._claim(user_ids, engagement, node_id)
        except _Refused as refused:
            return refused.busy

    async def _claim(self, user_ids: Sequence[int], engagement: str, node_id: int) -> dict[int, str]:
        async with self._db.transaction() as tx:
            taken = await tx.fetch(
                "INSERT INTO engagements (user_id, engagement, node_id)"
                " SELECT unnest(%s::bigint[]), %s, %s"
                " ON CONFLICT (user_id) DO UPDATE SET node_id = EXCLUDED.node_id"
                " WHERE engagements.engagement = EXCLUDED.engagement"
                " RETURNING user_id",
                list(user_ids), engagement, node_id, write=True,
            )
            if len(taken) == len(set(user_ids)):
                return {}
            busy = await tx.fetch(
                "SELECT user_id, engagement FROM engagements"
                " WHERE user_id = ANY(%s) AND engagement <> %s",
                list(user_ids), engagement,
            )
            raise _Refused(dict(busy))

    async def transfer(self, user_ids: Sequence[int], source: str, target: str, node_id: int
                       ) -> dict[int, str]:
        """Move all of them from ``source`` to ``target``, or none: returns who was not in
        ``source`` (empty: done)."""
        try:
            return await self._transfer(user_ids, source, target, node_id)
        except _Refused as refused:
            return refused.busy

    async def _transfer(self, user_ids: Sequence[int], source: str, target: str, node_id: int
                        ) -> dict[int, str]:
        async with self._db.transaction() as tx:
            moved = await tx.execute(
                "UPDATE engagements SET engagement = %s, node_id = %s"
                " WHERE user_id = ANY(%s) AND engagement = %s",
                target, node_id, list(user_ids), source,
            )
            if moved == len(set(user_ids)):
                return {}
            rows = await tx.fetch(
                "SELECT user_id, engagement FROM engagements WHERE user_id = ANY(%s)", list(user_ids)
            )
            held = dict(rows)
            raise _Refused({user_id: held.get(user_id, "nothing") for user_id in user_ids
                            if held.get(user_id) != source})

    async def release(self, user_ids: Sequence[int], engagement: str) -> None:
        await self._db.execute(
            "DELETE FROM engagements WHERE user_id = ANY(%s) AND engagement = %s",
            list(user_ids), engagement,
        )

    async def holding(self, engagement: str) -> list[int]:
        rows = await self._db.fetch(
            "SELECT user_id FROM engagements WHERE engagement = %s ORDER BY user_id", engagement
        )
        return [row[0] for row in rows]

    async def release_all(self, engagement: str) -> list[int]:
        rows = await self._db.fetch(
            "DELETE FROM engagements WHERE engagement = %s RETURNING user_id", engagement, write=True
        )
        return sorted(row[0] for row in rows)

    async def forget_node(self, node_id: int) -> None:
        """A dead node's engagements end with it; a tournament taken over claims its own again."""
        await self._db.execute("DELETE FROM engagements WHERE node_id = %s", node_id)


class _Refused(Exception):
    """Rolls the transaction back; carries who was busy with what."""

    def __init__(self, busy: dict[int, str]) -> None:
        super().__init__(busy)
        self.busy = busy
