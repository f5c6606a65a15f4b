"""`/ws/` on the game port: the user socket on the lean listener (DESIGN.md §6, §13).

The session is the HTTP port's (``session``); what differs is the writing. The
hub writes each event's frame, encoded once for all its recipients, straight to
the socket (``Connection.attach``): no task wakes per event and no write waits.
A client that does not read is closed as a slow consumer once its backlog passes
USER_LIMITS, as the hub closes one whose queue fills on the HTTP port.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Sequence

from quart import Quart

from courtside.actors import CONNECTION_BACKLOG, Connection, Event
from courtside.protocol import CloseCode
from courtside.protocol.frames import encode_text
from courtside.protocol.game_messages import WireFormat
from courtside.protocol.user_messages import (
    ClientMessage,
    ServerMessage,
    decode_client_message,
    encode_server_message,
)

from ..lean_socket import ConnectionClosed, LeanSocket, Limits
from ..services import services
from . import session
from .events import ACCOUNT_DELETED, close_for

USER_LIMITS = Limits(
    max_message_bytes=session.MAX_MESSAGE_BYTES,
    max_backlog_bytes=1024 * 1024,
    max_backlog_frames=CONNECTION_BACKLOG,
    # A tab in the background may read late, never this late.
    max_backlog_seconds=30.0,
    linger_seconds=10.0,
)


def user_lean_socket(sock: socket.socket) -> LeanSocket:
    """A user socket of the lean listener: JSON text frames, the user channel's limits."""
    return LeanSocket(sock, wire=WireFormat.JSON, limits=USER_LIMITS, decode=decode_client_message)


async def serve_lean_channel(
    app: Quart, sock: LeanSocket, cookie_token: str | None, last_event_id: str | None
) -> None:
    """The game port's handler of ``/ws/``: the session, in ``app``'s context."""
    async with app.app_context():
        await session.serve(LeanChannel(sock, cookie_token, last_event_id))


class LeanChannel:
    def __init__(self, sock: LeanSocket, cookie_token: str | None, last_event_id: str | None) -> None:
        self.cookie_token = cookie_token
        self.last_event_id = last_event_id
        self._sock = sock

    async def receive(self) -> ClientMessage:
        # The scope is cancelled when the socket closes under us (a slow consumer,
        # shutdown): the read ends then rather than at the client's next frame.
        with self._sock.reading_scope():
            try:
                return await self._sock.receive()
            except ConnectionClosed:
                pass
        # Closed already: the close that follows is a no-op, whatever its code.
        raise session.Closing(CloseCode.GOING_AWAY, "closed")

    async def send(self, message: ServerMessage) -> None:
        self._sock.write(encode_text(encode_server_message(message).encode()))

    async def carry(
        self, connection: Connection, answering: Awaitable[tuple[int, str]]
    ) -> tuple[int, str]:
        """No task of its own: the hub writes the events, and a connection the hub
        ends (shutdown among the reasons) closes the socket, which ends
        ``answering``'s read."""
        if not connection.replay or self._write(connection.replay):
            connection.attach(self._write, ended=lambda: self._sock.close(*close_for(connection)))
        with services().sockets.streaming(connection):
            return await answering

    def _write(self, events: Sequence[Event]) -> bool:
        """The hub's writer for this socket: the events' frames in one write; False
        once it is closed. An account's deletion is the last event it carries."""
        if len(events) == 1:  # the usual case, first: one event to many sockets
            frames = events[0].socket_wire_frame
        else:
            names = [event.name for event in events]
            if ACCOUNT_DELETED in names:
                events = events[: names.index(ACCOUNT_DELETED) + 1]
            frames = b"".join([event.socket_wire_frame for event in events])
        if not self._sock.write(frames):
            return False
        if events[-1].name == ACCOUNT_DELETED:
            self._sock.close(CloseCode.NORMAL, "account deleted")
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        self._sock.close(code, reason)  # a no-op once it is closed
