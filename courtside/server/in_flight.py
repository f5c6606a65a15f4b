"""What the HTTP server is serving right now, so that shutdown waits only for that.

Hypercorn keeps an idle keep-alive connection open until its graceful timeout
(its idle-timeout task is cancelled along with Quart-Trio's per-request nursery),
so one idle browser tab would hold SIGTERM for the whole grace. Counting the ASGI
calls under way (requests, event streams, user sockets) lets the node stop the
server the moment the last one ends.
"""

from __future__ import annotations

from typing import Any

import trio


class InFlight:
    """An ASGI wrapper that counts the requests and sockets it is serving."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.count = 0
        self._idle = trio.Event()
        self._idle.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if self.count == 0:
            self._idle = trio.Event()
        self.count += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def until_idle(self) -> None:
        """Return once nothing is being served."""
        while self.count:
            await self._idle.wait()
