"""The user channel across the cluster: one log, one NOTIFY per event, every node listening.

Publishing never waits: an event goes to this node's outbox, whose writer stores
a batch in ``user_events`` and NOTIFYs each event in the same transaction, so
ids follow commit order. Every node's listener hears every notification and
hands the event to its hub, which delivers it to the connections it holds: one
delivery per connection, wherever the user is connected, in the order committed.

A notification carries the event itself when it fits NOTIFY's 8000 bytes, and
only the event's id otherwise: the listener then reads the row. A listener that
lost its connection catches up from the log before it listens again, so a node
misses nothing it would have heard.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import trio

from courtside.actors.handle import ActorGone, MailboxFull
from courtside.actors.hub import (
    HUB,
    REPLAY_PER_USER,
    REPLAY_SECONDS,
    Connection,
    Deliver,
    EndConnections,
    Event,
)
from courtside.actors.registry import Registry
from courtside.persistence import NOTIFY_LIMIT, Database
from courtside.persistence.user_events import UserEvents

from .upkeep import again_and_again, every

log = logging.getLogger(__name__)

CHANNEL = "courtside_events"
OUTBOX_CAPACITY = 65_536
BATCH = 512
WRITE_ATTEMPTS = 3
SWEEP_EVERY = 60.0
FLUSH_WAIT = 2.0  # a connection opening waits no longer for the outbox to be written


class _Body(msgspec.Struct, frozen=True):
    name: str
    data: dict[str, Any]
    kwargs: dict[str, Any] = {}


class _Notice(msgspec.Struct, frozen=True, omit_defaults=True):
    """A notification: an event (whole, or only its id) or an order to a hub."""

    i: int = 0  # event id
    u: list[int] | None = None  # its users, when the event came whole
    b: _Body | None = None
    end: int | None = None  # end this user's connections


# What waits in the outbox: an event (its users, its encoded body), an order to end
# a user's connections, or a marker set once everything before it is written.
_Pending = tuple[tuple[int, ...], bytes] | int | trio.Event

_encode = msgspec.json.Encoder().encode
_decode_body = msgspec.json.Decoder(_Body).decode
_decode_notice = msgspec.json.Decoder(_Notice).decode


def _notification(event_id: int, user_ids: Sequence[int], body: bytes) -> str:
    whole = f'{{"i":{event_id},"u":[{",".join(map(str, user_ids))}],"b":{body.decode()}}}'
    return whole if len(whole.encode()) <= NOTIFY_LIMIT else f'{{"i":{event_id}}}'


class EventStream:
    def __init__(self, database: Database, registry: Registry) -> None:
        self._log = UserEvents(database)
        self._database = database
        self._registry = registry
        self._outbox, self._pending = trio.open_memory_channel[_Pending](OUTBOX_CAPACITY)
        self._last_seen: int | None = None
        self.listening = trio.Event()  # set once the first LISTEN is in place
        self.lost = 0  # events the writer could not store (for /metrics)

    # What the bus calls: never blocks.

    def publish(self, user_ids: Iterable[int], name: str, data: dict[str, Any],
                kwargs: dict[str, Any]) -> None:
        user_ids = tuple(user_ids)
        if not user_ids:
            return
        self._enqueue((user_ids, _encode(_Body(name, data, kwargs))), f"event {name}")

    def end_connections(self, user_id: int) -> None:
        self._enqueue(user_id, f"ending the connections of user {user_id}")

    def _enqueue(self, item: _Pending, what: str) -> None:
        try:
            self._outbox.send_nowait(item)
        except trio.WouldBlock:
            self.lost += 1
            log.error("%s lost: the event outbox is full", what)

    async def _written(self) -> None:
        """Return once every event this node published so far is in the log."""
        written = trio.Event()
        try:
            self._outbox.send_nowait(written)
        except trio.WouldBlock:
            return  # a full outbox is not waited on
        with trio.move_on_after(FLUSH_WAIT):
            await written.wait()

    async def catch_up(self, connection: Connection, last_event_id: int | None) -> None:
        """Give a connection the hub just took its starting point: the events it
        missed after ``last_event_id`` as its replay, else the newest event now
        (what came before it opened is not its news, even when still in the outbox)."""
        if last_event_id is None:
            await self._written()
            connection.seen_up_to = await self._log.last_id()
            return
        rows = await self._log.replay(connection.user_id, last_event_id, seconds=REPLAY_SECONDS,
                                      limit=REPLAY_PER_USER)
        connection.replay = [_event(event_id, body) for event_id, body in rows]
        connection.seen_up_to = max([last_event_id, *(event.id for event in connection.replay)])

    # The node's tasks.

    async def run_writer(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(every, SWEEP_EVERY, "forget expired events",
                               functools.partial(self._log.forget_older_than, REPLAY_SECONDS))
            while True:
                batch = [await self._pending.receive()]
                while len(batch) < BATCH:
                    try:
                        batch.append(self._pending.receive_nowait())
                    except trio.WouldBlock:
                        break
                await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            await self._store(
                [item for item in batch if isinstance(item, tuple)],
                [item for item in batch if isinstance(item, int)],
            )
        finally:
            for item in batch:
                if isinstance(item, trio.Event):
                    item.set()

    async def _store(self, events: list[tuple[tuple[int, ...], bytes]], ends: list[int]) -> None:
        orders = [_encode(_Notice(end=user_id)).decode() for user_id in ends]
        for attempt in range(WRITE_ATTEMPTS):
            try:
                if events:
                    await self._log.append(events, CHANNEL, _notification)
                for order in orders:
                    await self._log.notify(CHANNEL, order)
                return
            except Exception:
                log.exception("could not write %d events (attempt %d)", len(events), attempt + 1)
                await trio.sleep(0.1 * 4**attempt)
        self.lost += len(events) + len(ends)
        log.error("%d events lost: the database would not take them", len(events) + len(ends))

    async def run_listener(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Hand every event of the cluster to this node's hub, until cancelled. A
        lost connection is opened again, and what came meanwhile is read from the log."""
        task_status.started()
        await again_and_again("the event listener", self._listen)

    async def _listen(self) -> None:
        async with self._database.listen(CHANNEL) as notifications:
            if self._last_seen is None:
                self._last_seen = await self._log.last_id()
            else:
                for event_id, user_ids, body in await self._log.since(self._last_seen):
                    self._deliver(event_id, user_ids, _decode_body(body))
            self.listening.set()
            while True:
                for payload in await notifications.next_batch():
                    await self._on_notification(payload)

    async def _on_notification(self, payload: str) -> None:
        notice = _decode_notice(payload)
        if notice.end is not None:
            self._tell_hub(EndConnections(notice.end))
            return
        if notice.i <= (self._last_seen or 0):
            return  # caught up on it already
        if notice.b is None:
            stored = await self._log.get(notice.i)
            if stored is None:
                log.error("event %d is gone from the log before it was delivered", notice.i)
                self._last_seen = notice.i
                return
            user_ids, body = stored
            self._deliver(notice.i, user_ids, _decode_body(body))
        else:
            self._deliver(notice.i, notice.u or (), notice.b)

    def _deliver(self, event_id: int, user_ids: Sequence[int], body: _Body) -> None:
        self._last_seen = event_id
        self._tell_hub(Deliver(tuple(user_ids), Event(event_id, body.name, body.data, body.kwargs)))

    def _tell_hub(self, message: object) -> None:
        hub = self._registry.lookup(HUB)
        if hub is None:
            return  # restarting: its connections are closed and will replay
        try:
            hub.send_nowait(message)
        except (ActorGone, MailboxFull) as why:
            log.warning("hub did not take %s: %r", type(message).__name__, why)


def _event(event_id: int, body: bytes) -> Event:
    decoded = _decode_body(body)
    return Event(event_id, decoded.name, decoded.data, decoded.kwargs)
