"""The notification hub: every open connection of every user, and who is online.

DESIGN.md §6, §7. Publishing never waits: an event is numbered, kept a few
minutes so a reconnecting client can replay what it missed (SSE's
Last-Event-ID), and put on each of the user's open connections. A connection
that lets CONNECTION_BACKLOG events pile up is cut off rather than slowing
anyone: its socket closes, its client reconnects and replays.

A user is online while they hold at least one connection. The first opening
and the last closing are announced to their online friends as ``presence``,
and the last closing writes ``last_online``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgspec
import trio

from courtside.protocol.user_messages import encode_event, encode_sse

from .engagements import Engagements
from .handle import Inbox, Overflow, Reply

log = logging.getLogger(__name__)

HUB = "hub:users"
INBOX_CAPACITY = 65_536
CONNECTION_BACKLOG = 256
# Tabs and devices of one user; each costs about 50 KiB (bench/RESULTS.md).
MAX_CONNECTIONS_PER_USER = 16
REPLAY_SECONDS = 300.0
REPLAY_PER_USER = 256
SWEEP_EVERY = 60.0
SLOW_CONSUMER = "slow consumer"
HUB_STOPPED = "notification hub stopped"
SESSIONS_ENDED = "sessions ended"


class TooManyConnections(Exception):
    """The user holds MAX_CONNECTIONS_PER_USER connections already."""


class Event(msgspec.Struct, frozen=True, dict=True):
    """One event for a user's channels: its sequence number, the reference's name, payload.

    Its frame for each wire format is encoded on first use and kept (``dict=True``
    gives the cached properties a place), so every connection that sends the same
    event shares one encoding: a user's tabs, and every recipient of an event that
    is numbered once for all of them.
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
    def sse_frame(self) -> bytes:
        """As ``/sse/users/`` sends it: ``id:``, ``event:`` and ``data:`` lines."""
        return encode_sse(self.id, self.name, self.data, self.kwargs)


class UserPresence(msgspec.Struct, frozen=True):
    is_online: bool
    game_playing: str | None


class Connection:
    """One open user socket or SSE stream, as the hub sees it.

    The connection reads ``replay`` and then ``events`` until the channel ends;
    ``cut_off`` then says why the hub ended it (None: the connection left).
    """

    def __init__(self, user_id: int, replay: list[Event]) -> None:
        self.user_id = user_id
        self.replay = replay
        self.cut_off: str | None = None
        self._send, self.events = trio.open_memory_channel[Event](CONNECTION_BACKLOG)

    def deliver(self, event: Event) -> bool:
        """Queue the event; False once the connection is cut off."""
        try:
            self._send.send_nowait(event)
        except trio.WouldBlock:
            self.end(SLOW_CONSUMER)
            return False
        except trio.ClosedResourceError:
            return False
        return True

    def end(self, reason: str) -> None:
        self.cut_off = reason
        self._send.close()


class Publish(msgspec.Struct, frozen=True):
    user_ids: tuple[int, ...]
    name: str
    data: dict[str, Any]
    kwargs: dict[str, Any] = {}


class Connect(msgspec.Struct, frozen=True):
    user_id: int
    last_event_id: int | None
    reply: Reply[Connection]


class ConnectionCount(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[int]


class Disconnect(msgspec.Struct, frozen=True):
    connection: Connection


class EndConnections(msgspec.Struct, frozen=True):
    """The user's sessions were ended (password change): their sockets go too."""

    user_id: int


class PresenceOf(msgspec.Struct, frozen=True):
    user_ids: tuple[int, ...]
    reply: Reply[dict[int, UserPresence]]


class WhoIsOnline(msgspec.Struct, frozen=True):
    reply: Reply[list[int]]


class PresenceChanged(msgspec.Struct, frozen=True):
    """These users started or stopped playing: tell their friends."""

    user_ids: tuple[int, ...]


class NotificationHub:
    def __init__(
        self,
        *,
        engagements: Engagements,
        friends_of: Callable[[int], Awaitable[list[int]]],
        went_offline: Callable[[int], Awaitable[None]],
    ) -> None:
        self._engagements = engagements
        self._friends_of = friends_of
        self._went_offline = went_offline
        self._connections: dict[int, set[Connection]] = {}
        self._recent: dict[int, deque[tuple[float, Event]]] = {}
        # Microseconds since the epoch: a restarted hub numbers above every id the
        # previous one handed out, so clients' Last-Event-ID stays meaningful.
        self._last_id = time.time_ns() // 1000

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(INBOX_CAPACITY, Overflow.REJECT, name=HUB) as inbox:
            try:
                async with trio.open_nursery() as self._announcements:
                    task_status.started(inbox.handle)
                    next_sweep = trio.current_time() + SWEEP_EVERY
                    while True:
                        with trio.move_on_at(next_sweep):
                            self._handle(await inbox.receive())
                            continue
                        next_sweep += SWEEP_EVERY
                        self._forget_expired()
            finally:
                # Whoever was connected reconnects to our successor and replays.
                for connections in self._connections.values():
                    for connection in connections:
                        connection.end(HUB_STOPPED)

    def _handle(self, message: object) -> None:
        match message:
            case Publish(user_ids, name, data, kwargs):
                self._publish(user_ids, name, data, kwargs)
            case Connect(user_id, last_event_id, reply):
                connections = self._connections.setdefault(user_id, set())
                if len(connections) >= MAX_CONNECTIONS_PER_USER:
                    reply.fail(TooManyConnections())
                    return
                replay = self._replay(user_id, last_event_id) if last_event_id is not None else []
                connection = Connection(user_id, replay)
                connections.add(connection)
                reply.send(connection)
                if len(connections) == 1:
                    self._announcements.start_soon(self._announce, user_id)
            case ConnectionCount(user_id, reply):
                reply.send(len(self._connections.get(user_id, ())))
            case Disconnect(connection):
                connections = self._connections.get(connection.user_id, set())
                connections.discard(connection)
                if not connections and self._connections.pop(connection.user_id, None) is not None:
                    self._announcements.start_soon(self._mark_offline, connection.user_id)
            case EndConnections(user_id):
                for connection in self._connections.get(user_id, ()):
                    connection.end(SESSIONS_ENDED)
            case PresenceOf(user_ids, reply):
                reply.send({user_id: self._presence(user_id) for user_id in user_ids})
            case WhoIsOnline(reply):
                reply.send([user_id for user_id, open_ in self._connections.items() if open_])
            case PresenceChanged(user_ids):
                for user_id in user_ids:
                    self._announcements.start_soon(self._announce, user_id)

    def _publish(
        self, user_ids: Iterable[int], name: str, data: dict[str, Any], kwargs: dict[str, Any]
    ) -> None:
        now = trio.current_time()
        for user_id in user_ids:
            self._last_id += 1
            event = Event(self._last_id, name, data, kwargs)
            recent = self._recent.get(user_id)
            if recent is None:
                recent = self._recent[user_id] = deque(maxlen=REPLAY_PER_USER)
            recent.append((now, event))
            for connection in list(self._connections.get(user_id, ())):
                if not connection.deliver(event):
                    log.info("user %s: connection cut off (%s)", user_id, connection.cut_off)
                    self._connections[user_id].discard(connection)

    def _replay(self, user_id: int, last_event_id: int) -> list[Event]:
        horizon = trio.current_time() - REPLAY_SECONDS
        return [event for at, event in self._recent.get(user_id, ())
                if at >= horizon and event.id > last_event_id]

    def _forget_expired(self) -> None:
        horizon = trio.current_time() - REPLAY_SECONDS
        for user_id in list(self._recent):
            recent = self._recent[user_id]
            while recent and recent[0][0] < horizon:
                recent.popleft()
            if not recent:
                del self._recent[user_id]

    def _presence(self, user_id: int) -> UserPresence:
        engagement = self._engagements.of(user_id) or ""
        kind, _, code = engagement.partition(":")
        return UserPresence(
            is_online=bool(self._connections.get(user_id)),
            game_playing=code if kind == "match" else None,
        )

    async def _mark_offline(self, user_id: int) -> None:
        try:
            await self._went_offline(user_id)
        except Exception:
            log.exception("could not record that user %s went offline", user_id)
        await self._announce(user_id)

    async def _announce(self, user_id: int) -> None:
        """Tell the user's online friends where they are now.

        The presence sent is read after the friends query, not at the change:
        announcements of quick flips may finish out of order, and each one must
        say the latest truth.
        """
        try:
            friends = await self._friends_of(user_id)
        except Exception:
            log.exception("could not announce the presence of user %s", user_id)
            return
        online = [friend for friend in friends if self._connections.get(friend)]
        presence = self._presence(user_id)
        self._publish(online, "presence", {
            "user_id": user_id,
            "is_online": presence.is_online,
            "game_playing": presence.game_playing,
        }, {})
