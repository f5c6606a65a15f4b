"""The user channel's event log: every event, numbered cluster-wide, kept for replay.

Writers take one advisory lock per batch, so ids are handed out in commit order:
a reader that has seen id n has seen every committed event below it, which is
what makes Last-Event-ID replay and a listener's catch-up exact on any node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .database import Database

# pg_advisory_xact_lock key of the event writers (any constant no other lock uses).
EVENT_WRITERS_LOCK = 0x637374_6576
SWEEP_CHUNK = 5_000


class UserEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self, batch: Sequence[tuple[Sequence[int], bytes]], notify: str,
        payloads: Callable[[int, Sequence[int], bytes], str],
    ) -> list[int]:
        """Store ``(user_ids, body)`` pairs and NOTIFY ``notify`` once per event, in
        one transaction; returns their ids in order. ``payloads`` turns each
        (id, user_ids, body) into its notification text."""
        users = [",".join(map(str, user_ids)) for user_ids, _ in batch]
        bodies = [body for _, body in batch]
        async with self._db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(%s)", EVENT_WRITERS_LOCK)
            rows = await tx.fetch(
                "INSERT INTO user_events (user_ids, body)"
                " SELECT string_to_array(u, ',')::bigint[], b FROM unnest(%s::text[], %s::bytea[]) AS t(u, b)"
                " RETURNING id",
                users, bodies, write=True,
            )
            # Identity values follow the order rows were produced in.
            ids = sorted(row[0] for row in rows)
            texts = [payloads(event_id, user_ids, body)
                     for event_id, (user_ids, body) in zip(ids, batch, strict=True)]
            await tx.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", notify, texts)
        return ids

    async def notify(self, channel: str, payload: str) -> None:
        await self._db.execute("SELECT pg_notify(%s, %s)", channel, payload)

    async def last_id(self) -> int:
        return await self._db.fetchval("SELECT coalesce(max(id), 0) FROM user_events")

    async def since(self, after_id: int) -> list[tuple[int, list[int], bytes]]:
        """Every event above ``after_id``, oldest first (a listener catching up)."""
        rows = await self._db.fetch(
            "SELECT id, user_ids, body FROM user_events WHERE id > %s ORDER BY id", after_id
        )
        return [(row[0], row[1], bytes(row[2])) for row in rows]

    async def get(self, event_id: int) -> tuple[list[int], bytes] | None:
        row = await self._db.fetchrow("SELECT user_ids, body FROM user_events WHERE id = %s", event_id)
        return None if row is None else (row[0], bytes(row[1]))

    async def replay(self, user_id: int, after_id: int, *, seconds: float, limit: int
                     ) -> list[tuple[int, bytes]]:
        """The user's newest ``limit`` events above ``after_id`` from the last ``seconds``."""
        rows = await self._db.fetch(
            "SELECT id, body FROM user_events"
            " WHERE user_ids @> ARRAY[%s::bigint] AND id > %s"
            " AND created_at > now() - make_interval(secs => %s)"
            " ORDER BY id DESC LIMIT %s",
            user_id, after_id, seconds, limit,
        )
        return [(row[0], bytes(row[1])) for row in reversed(rows)]

    async def forget_older_than(self, seconds: float) -> int:
        """Delete expired events, a chunk per statement so no statement runs long."""
        removed = 0
        while True:
            count = await self._db.execute(
                "DELETE FROM user_events WHERE id IN (SELECT id FROM user_events"
                " WHERE created_at < now() - make_interval(secs => %s) ORDER BY id LIMIT %s)",
                seconds, SWEEP_CHUNK,
            )
            removed += count
            if count < SWEEP_CHUNK:
                return removed
