"""The notification store: keeps each user's notable events in their inbox (issue 18, point 8).

The bus hands every published event to a ``NotificationSink``, which passes the
notable ones (NOTABLE_EVENTS) to this actor without waiting. The actor stores
them in batches: while one batch is written, the next queues up, so a burst
costs a few statements rather than one per user. A full inbox drops the event
from the inbox, never the live event: the client saw it, it only will not find
it later. A periodic sweep deletes what is older than the retention, in chunks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import trio

from courtside.persistence import Database
from courtside.persistence.notifications import NewNotification, Notifications

from .handle import ActorGone, Inbox, MailboxFull, Overflow, Reply
from .registry import Registry

log = logging.getLogger(__name__)

NOTIFICATION_STORE = "notifications:store"
INBOX_CAPACITY = 16_384
# Events taken per write, and rows per INSERT.
MAX_BATCH = 500
MAX_BATCH_ROWS = 1000
SWEEP_EVERY = 3600.0
SWEEP_CHUNK = 1000

# The live channel's events a user would want to find later: friend requests and
# their answers, invitations, tournaments starting and playing their rounds, a
# match found, being banned. Chat messages have their own unread counts.
NOTABLE_EVENTS = frozenset({
    "receive-friend-request", "accept-friend-request", "reject-friend-request",
    "invite-1v1", "invite-3v3", "invite-clash", "invite-tournament",
    "tournament-start", "tournament-match-finish", "tournament-finish",
    "game-start",
    "lobby-banned", "tournament-banned",
})

_encoder = msgspec.json.Encoder()


class Notable(msgspec.Struct, frozen=True):
    user_ids: tuple[int, ...]
    event: str
    data: dict[str, Any]


class Flush(msgspec.Struct, frozen=True):
    """Answered once everything queued before it is stored."""

    reply: Reply[None]


class NotificationSink:
    """What the bus calls with every event it publishes; never blocks, never raises."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __call__(
        self, user_ids: tuple[int, ...], name: str, data: dict[str, Any], kwargs: dict[str, Any]
    ) -> None:
        if name not in NOTABLE_EVENTS or not user_ids:
            return
        store = self._registry.lookup(NOTIFICATION_STORE)
        if store is None:
            log.warning("notification store not running: %s for %d users not kept",
                        name, len(user_ids))
            return
        try:
            # The payload as the SSE stream shows it (DESIGN.md §12).
            store.send_nowait(Notable(user_ids, name, {**data, **kwargs}))
        except (ActorGone, MailboxFull) as why:
            log.warning("%s for %d users not kept: %r", name, len(user_ids), why)


class NotificationStore:
    """Writes notable events to ``notifications``, and sweeps out the expired ones."""

    def __init__(
        self, database: Database, *, retention: timedelta, sweep_every: float = SWEEP_EVERY
    ) -> None:
        self._notifications = Notifications(database)
        self._retention = retention
        self._sweep_every = sweep_every

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox[Notable | Flush](INBOX_CAPACITY, Overflow.DROP_NEWEST,
                                    name=NOTIFICATION_STORE) as inbox:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._sweep_periodically)
                task_status.started(inbox.handle)
                while True:
                    batch = [await inbox.receive()]
                    # What queued while the last batch was written goes in this one.
                    while inbox.handle.depth and len(batch) < MAX_BATCH:
                        batch.append(await inbox.receive())
                    await self._store(batch)

    async def _store(self, batch: list[Notable | Flush]) -> None:
        rows = list(_rows(message for message in batch if isinstance(message, Notable)))
        for start in range(0, len(rows), MAX_BATCH_ROWS):
            await self._notifications.add(rows[start:start + MAX_BATCH_ROWS])
        for message in batch:
            if isinstance(message, Flush):
                message.reply.send(None)

    async def _sweep_periodically(self) -> None:
        while True:
            swept = await sweep_expired(
                self._notifications, older_than=datetime.now(UTC) - self._retention
            )
            if swept:
                log.info("swept %d expired notifications", swept)
            await trio.sleep(self._sweep_every)


async def sweep_expired(
    notifications: Notifications, *, older_than: datetime, chunk: int = SWEEP_CHUNK
) -> int:
    """Delete every notification created before ``older_than``, ``chunk`` rows a statement."""
    total = 0
    while True:
        swept = await notifications.sweep(older_than, chunk=chunk)
        total += swept
        if swept < chunk:
            return total


def _rows(notables: Iterable[Notable]) -> Iterable[NewNotification]:
    for notable in notables:
        try:
            data = _encoder.encode(notable.data).decode()
        except (TypeError, ValueError):
            log.exception("%s: payload is not JSON; not kept", notable.event)
            continue
        for user_id in notable.user_ids:
            yield NewNotification(user_id, notable.event, data)
