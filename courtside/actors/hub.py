"""The notification hub: this node's open connections, and the events they carry.

DESIGN.md §6, §10. Events come numbered from the cluster's event stream (every
node hears every event and delivers those of its own connections); putting one
on a connection never waits. A connection that lets CONNECTION_BACKLOG events
pile up is cut off rather than slowing anyone: its socket closes, its client
reconnects and replays what it missed from the event log, on any node.

Who is online, and the per-user connection limit, are the cluster's business
(``courtside.cluster.presence``): the hub knows only this node's connections.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec
import trio

from courtside.protocol.frames import encode_text
from courtside.protocol.user_messages import encode_event, encode_sse

from .handle import Inbox, Overflow, Reply

log = logging.getLogger(__name__)

HUB = "hub:users"
INBOX_CAPACITY = 65_536
CONNECTION_BACKLOG = 256
# One Deliver to thousands of written connections yields to the loop between slices
# of this many writes (each a send call): no single step holds the loop for long.
WRITES_PER_STEP = 128
# Deliveries queued back to back are taken together, and each written connection gets
# its share of them in one write: a busy group's messages come in bursts (at 500
# messages/s to 100 members, most deliveries had others queued behind them;
# bench/RESULTS.md), and a send per event and member was most of their cost.
DELIVERIES_PER_BATCH = 64
RECIPIENTS_PER_BATCH = 2048  # past the first; sorting a batch into shares walks them all
# Tabs and devices of one user, counted on every node; each costs about 50 KiB
# (bench/RESULTS.md).
MAX_CONNECTIONS_PER_USER = 16
REPLAY_SECONDS = 300.0
REPLAY_PER_USER = 256
SLOW_CONSUMER = "slow consumer"
SOCKET_CLOSED = "socket closed"
HUB_STOPPED = "notification hub stopped"
SESSIONS_ENDED = "sessions ended"


class Event(msgspec.Struct, frozen=True, dict=True):
    """One event for a user's channels: its cluster-wide sequence number, the
    reference's name, payload.

    Its frame for each wire format is encoded on first use and kept (``dict=True``
    gives the cached properties a place), so every connection that sends the same
    event shares one encoding: every recipient of the event on this node, each tab.
    """

    id: int
    name: str
    data: dict[str, Any]
    kwargs: dict[str, Any] = {}

    @functools.cached_property
    def socket_frame(self) -> str:
        """As ``/ws/`` sends it: ``{"type", "id", "data", "kwargs"}``."""
        return encode_event(self.id, self.name, self.data, self.kwargs)

    @functools.cached_property
    def socket_wire_frame(self) -> bytes:
        """``socket_frame`` as a whole WebSocket text frame, header included."""
        return encode_text(self.socket_frame.encode())

    @functools.cached_property
    def sse_frame(self) -> bytes:
        """As ``/sse/users/`` sends it: ``id:``, ``event:`` and ``data:`` lines."""
        return encode_sse(self.id, self.name, self.data, self.kwargs)


class UserPresence(msgspec.Struct, frozen=True):
    is_online: bool
    game_playing: str | None


class Connection:
    """One open user socket or SSE stream, as the hub sees it.

    The connection reads ``replay`` and then ``events`` until the channel ends;
    ``cut_off`` then says why the hub ended it (None: the connection left). A socket
    whose writes never wait ``attach``es a writer instead: the hub then writes each
    event itself, with no task woken per event, and calls ``ended`` when it ends the
    connection.
    """

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.replay: list[Event] = []
        self.cut_off: str | None = None
        # The newest event the connection has (its replay's last) or was opened after.
        # It is set before the hub delivers to the connection, so no event falls
        # between the two; events at or below it may still be on their way through
        # the stream, and are skipped.
        self.seen_up_to = 0
        # Events that came before a reader or a writer took the connection. The
        # channel a reader waits on is made only for a reader: a written socket
        # never needs one (its deque alone is 600 bytes on every idle socket).
        self._early: list[Event] = []
        self._send: trio.MemorySendChannel[Event] | None = None
        self._events: NewEvents | None = None
        self._write: Callable[[Event], bool] | None = None
        self._ended: Callable[[], None] | None = None

    @property
    def events(self) -> NewEvents:
        """The new events, for a task that reads them (the replay comes first)."""
        if self._events is None:
            self._send, receive = trio.open_memory_channel[Event](CONNECTION_BACKLOG)
            for event in self._early:  # at most CONNECTION_BACKLOG of them
                self._send.send_nowait(event)
            self._early = []
            if self.cut_off is not None:
                self._send.close()
            self._events = NewEvents(receive, self)
        return self._events

    def attach(self, write: Callable[[Sequence[Event]], bool], *, ended: Callable[[], None]) -> None:
        """From now on new events go to ``write``, several at once in order (False:
        the socket is closed), the events that came since the connection opened
        first, and ``ended`` is called once the connection ends (``cut_off`` says
        why). Call it once the replay is written."""
        self._write, self._ended = write, ended
        early, self._early = self._early, []
        if early and not self.deliver(early):
            return
        if self.cut_off is not None:  # ended before it was attached
            ended()

    def deliver(self, events: Sequence[Event]) -> bool:
        """Queue or write the events, oldest first; False once the connection is cut off."""
        if self.cut_off is not None:
            return False
        if self._write is not None:
            # Events come in the stream's order: if the first is new, all are.
            if events[0].id <= self.seen_up_to:
                events = [event for event in events if event.id > self.seen_up_to]
            if events and not self._write(events):
                self.end(SOCKET_CLOSED)
                return False
            return True
        for event in events:
            if not self._queue(event):
                return False
        return True

    def _queue(self, event: Event) -> bool:
        """For the connection's reader; False (cut off) once it lets too many pile up."""
        if self._send is None:
            if len(self._early) >= CONNECTION_BACKLOG:
                self.end(SLOW_CONSUMER)
                return False
            self._early.append(event)
            return True
        try:
            self._send.send_nowait(event)
        except trio.WouldBlock:
            self.end(SLOW_CONSUMER)
            return False
        return True

    def end(self, reason: str) -> None:
        if self.cut_off is not None:
            return
        self.cut_off = reason
        if self._send is not None:
            self._send.close()
        if self._ended is not None:
            self._ended()


class NewEvents:
    """A connection's live events, past those it already has (``seen_up_to``)."""

    def __init__(self, receive: trio.MemoryReceiveChannel[Event], connection: Connection) -> None:
        self._receive = receive
        self._connection = connection

    async def receive(self) -> Event:
        """The next new event; EndOfChannel once the connection has ended."""
        while (event := await self._receive.receive()).id <= self._connection.seen_up_to:
            pass
        return event

    def __aiter__(self) -> NewEvents:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.receive()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None


class Deliver(msgspec.Struct, frozen=True):
    """An event of the cluster's stream, for those of these users connected here."""

    user_ids: tuple[int, ...]
    event: Event


class Connect(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[Connection]


class Disconnect(msgspec.Struct, frozen=True):
    connection: Connection


class EndConnections(msgspec.Struct, frozen=True):
    """The user's sessions were ended (password change): their sockets go too."""

    user_id: int


class NotificationHub:
    def __init__(self) -> None:
        self._connections: dict[int, set[Connection]] = {}

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(INBOX_CAPACITY, Overflow.REJECT, name=HUB) as inbox:
            try:
                task_status.started(inbox.handle)
                # What ended a run of deliveries taken together: handled next, in order.
                taken: object = None
                while True:
                    message, taken = taken, None
                    if message is None:
                        message = await inbox.receive()
                    if isinstance(message, Deliver):
                        batch, taken = inbox.receive_run(message, Deliver, _batch_full)
                        await self._deliver(batch)
                    else:
                        self._handle(message)
            finally:
                # Whoever was connected reconnects to our successor and replays.
                for connections in self._connections.values():
                    for connection in connections:
                        connection.end(HUB_STOPPED)

    def _handle(self, message: object) -> None:
        match message:
            case Connect(user_id=user_id, reply=reply):
                connection = Connection(user_id)
                self._connections.setdefault(user_id, set()).add(connection)
                reply.send(connection)
            case Disconnect(connection=connection):
                connections = self._connections.get(connection.user_id, set())
                connections.discard(connection)
                if not connections:
                    self._connections.pop(connection.user_id, None)
            case EndConnections(user_id=user_id):
                for connection in self._connections.get(user_id, ()):
                    connection.end(SESSIONS_ENDED)

    async def _deliver(self, batch: list[Deliver]) -> None:
        """Each connection's share of ``batch``, its events in order, in one write."""
        shares = self._alone(batch[0]) if len(batch) == 1 else self._shares(batch).items()
        cut_off = []
        for written, (connection, events) in enumerate(shares, start=1):
            if not connection.deliver(events):
                cut_off.append(connection)
            if written % WRITES_PER_STEP == 0:
                await trio.lowlevel.checkpoint()
        for connection in cut_off:  # after: the walk above may be over their sets
            log.info("user %s: connection cut off (%s)", connection.user_id, connection.cut_off)
            self._connections.get(connection.user_id, set()).discard(connection)

    def _alone(self, deliver: Deliver) -> Iterator[tuple[Connection, Sequence[Event]]]:
        """A lone delivery's recipients, one tuple for all: a fan-out to thousands
        is not sorted into shares."""
        events = (deliver.event,)
        for user_id in deliver.user_ids:
            for connection in self._connections.get(user_id, ()):
                yield connection, events

    def _shares(self, batch: list[Deliver]) -> dict[Connection, list[Event]]:
        shares: dict[Connection, list[Event]] = {}
        for deliver in batch:
            for connection, _ in self._alone(deliver):
                shares.setdefault(connection, []).append(deliver.event)
        return shares


def _batch_full(batch: list[Deliver]) -> bool:
    return (len(batch) >= DELIVERIES_PER_BATCH
            or sum(len(deliver.user_ids) for deliver in batch) >= RECIPIENTS_PER_BATCH)
