"""Open WebSockets of the HTTP app, so shutdown can close each with 1001."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio
from quart import websocket

from courtside.protocol import CloseCode


class OpenSockets:
    """Runs socket handlers under cancel scopes it can cancel all at once."""

    def __init__(self) -> None:
        self._scopes: set[trio.CancelScope] = set()
        self._closing = False

    def __len__(self) -> int:
        return len(self._scopes)

    async def serve(self, handler: Callable[[], Awaitable[None]]) -> None:
        """Run ``handler`` for the current websocket; on shutdown close it with 1001."""
        if self._closing:
            await websocket.close(CloseCode.GOING_AWAY, "server shutting down")
            return
        with trio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                await handler()
            finally:
                self._scopes.discard(scope)
        if scope.cancelled_caught:
            await websocket.close(CloseCode.GOING_AWAY, "server shutting down")

    def close_all(self) -> None:
        """Refuse new sockets and close every open one with 1001."""
        self._closing = True
        for scope in self._scopes:
            scope.cancel()
