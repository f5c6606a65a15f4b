"""Open WebSockets and event streams of the HTTP app, so shutdown can end each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import trio
from quart import websocket

from courtside.actors import Connection
from courtside.protocol import CloseCode

SHUTTING_DOWN = "server shutting down"
LINGER = 2.0


async def close_websocket(code: int, reason: str) -> None:
    """Close the current websocket, then keep reading until the client answers or
    LINGER passes.

    Hypercorn stops reading the socket while our queue of received messages is
    full, and a flooding client fills it: without the drain it would never see
    the client's closing handshake and hold the connection open.
    """
    await websocket.close(code, reason)
    with trio.move_on_after(LINGER):
        while True:
            await websocket.receive()


class OpenSockets:
    """Runs socket handlers under cancel scopes it can cancel all at once, and ends
    event streams (which cannot hold a cancel scope across their yields) through
    their hub connection."""

    def __init__(self) -> None:
        self._scopes: set[trio.CancelScope] = set()
        self._streams: set[Connection] = set()
        self._closing = False

    def __len__(self) -> int:
        return len(self._scopes) + len(self._streams)

    @contextmanager
    def streaming(self, connection: Connection) -> Iterator[None]:
        """An event stream fed by ``connection`` is open; shutdown ends the connection."""
        if self._closing:
            connection.end(SHUTTING_DOWN)
        self._streams.add(connection)
        try:
            yield
        finally:
            self._streams.discard(connection)

    async def serve(self, handler: Callable[[], Awaitable[None]]) -> None:
        """Run ``handler`` for the current websocket; on shutdown close it with 1001."""
        if self._closing:
            await close_websocket(CloseCode.GOING_AWAY, SHUTTING_DOWN)
            return
        with trio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                await handler()
            finally:
                self._scopes.discard(scope)
        if scope.cancelled_caught:
            await close_websocket(CloseCode.GOING_AWAY, SHUTTING_DOWN)

    def close_all(self) -> None:
        """Refuse new sockets, close every open one with 1001 and end every stream."""
        self._closing = True
        for scope in self._scopes:
            scope.cancel()
        for connection in self._streams:
            connection.end(SHUTTING_DOWN)
