"""Notifications are kept for the retention, then swept out in chunks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from courtside.actors.notification_store import sweep_expired
from courtside.persistence import Database, Users
from courtside.persistence.notifications import NewNotification, Notifications


async def test_the_sweep_removes_only_what_is_past_the_retention(database: Database) -> None:
    user = await Users(database).create(username="zoe", nickname="zoe", password_hash="x")
    notifications = Notifications(database)
    rows = [NewNotification(user.id, "lobby-banned", f'{{"code": "l{n}"}}') for n in range(7)]
    assert await notifications.add(rows) == 7
    # Five of them were written 31 days ago, two a day ago.
    await database.execute(
        "UPDATE notifications SET created_at = now() - interval '31 days'"
        " WHERE id IN (SELECT id FROM notifications ORDER BY id LIMIT 5)"
    )
    await database.execute(
        "UPDATE notifications SET created_at = now() - interval '1 day'"
        " WHERE created_at > now() - interval '1 hour'"
    )

    horizon = datetime.now(UTC) - timedelta(days=30)
    assert await sweep_expired(notifications, older_than=horizon, chunk=2) == 5
    count, kept = await notifications.page(user.id, before=None, limit=10, offset=0)
    assert count == 2
    assert [n.data["code"] for n in kept] == ["l6", "l5"]
    assert await sweep_expired(notifications, older_than=horizon, chunk=2) == 0
