"""The notification inbox: each user's notable events, newest first (issue 18, point 8).

Rows are written in batches by the notification store actor and read, marked
read and deleted by their owner. Every read and write names the owner, so a
notification of someone else's is never found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from .database import Executor


class Notification(msgspec.Struct, frozen=True):
    id: int
    event: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NewNotification(msgspec.Struct, frozen=True):
    """One row to store: ``data`` is the event's payload, already JSON."""

    user_id: int
    event: str
    data: str


_COLUMNS = "id, event, data, created_at, read_at"


class Notifications:
    """Repository over ``notifications``."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    async def add(self, rows: Sequence[NewNotification]) -> int:
        """Store a batch in one statement, numbered in its order (so newest first stays
        true within a batch); rows for deleted accounts are left out."""
        return await self._db.execute(
            "INSERT INTO notifications (user_id, event, data)"
            " SELECT n.user_id, n.event, n.data::jsonb"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[])"
            "  WITH ORDINALITY AS n (user_id, event, data, position)"
            " WHERE EXISTS (SELECT FROM users u WHERE u.id = n.user_id AND u.deleted_at IS NULL)"
            " ORDER BY n.position",
            [row.user_id for row in rows], [row.event for row in rows], [row.data for row in rows],
        )

    async def page(
        self, user_id: int, *, before: int | None, limit: int, offset: int
    ) -> tuple[int, list[Notification]]:
        """The user's notifications, newest first; with ``before``, only older ids.

        Paging from a ``before`` stays stable while new notifications arrive.
        """
        older = "" if before is None else " AND id < %s"
        params: tuple[Any, ...] = (user_id,) if before is None else (user_id, before)
        count = await self._db.fetchval(
            f"SELECT count(*) FROM notifications WHERE user_id = %s{older}", *params
        )
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM notifications WHERE user_id = %s{older}"
            " ORDER BY id DESC LIMIT %s OFFSET %s",
            *params, limit, offset, into=Notification,
        )
        return count, rows

    async def unread_count(self, user_id: int) -> int:
        return await self._db.fetchval(
            "SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL", user_id
        )

    async def mark_read(self, user_id: int, notification_id: int) -> Notification | None:
        """Mark one read (a second time changes nothing); None if the user has no such one."""
        return await self._db.fetchrow(
            "UPDATE notifications SET read_at = coalesce(read_at, now())"
            f" WHERE id = %s AND user_id = %s RETURNING {_COLUMNS}",
            notification_id, user_id, into=Notification, write=True,
        )

    async def mark_all_read(self, user_id: int) -> int:
        """Mark every unread one read; how many there were."""
        return await self._db.execute(
            "UPDATE notifications SET read_at = now() WHERE user_id = %s AND read_at IS NULL",
            user_id,
        )

    async def delete(self, user_id: int, notification_id: int) -> bool:
        return bool(await self._db.execute(
            "DELETE FROM notifications WHERE id = %s AND user_id = %s", notification_id, user_id
        ))

    async def delete_all(self, user_id: int) -> None:
        """The account is deleted: nothing of its inbox stays."""
        await self._db.execute("DELETE FROM notifications WHERE user_id = %s", user_id)

    async def sweep(self, older_than: datetime, *, chunk: int) -> int:
        """Delete at most ``chunk`` notifications created before ``older_than``.

        Small deletes keep each statement's locks and WAL short; the caller repeats
        until fewer than ``chunk`` go.
        """
        return await self._db.execute(
            "DELETE FROM notifications WHERE id IN ("
            " SELECT id FROM notifications WHERE created_at < %s ORDER BY created_at LIMIT %s)",
            older_than, chunk,
        )
