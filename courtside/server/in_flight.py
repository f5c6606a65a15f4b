"""What the HTTP server is serving right now, and for whom.

Hypercorn keeps an idle keep-alive connection open until its graceful timeout
(its idle-timeout task is cancelled along with Quart-Trio's per-request nursery),
so one idle browser tab would hold SIGTERM for the whole grace. Counting the ASGI
calls under way (requests, event streams, user sockets) lets the node stop the
server the moment the last one ends. Counting them per client address refuses
the call that would take one address past its share (docs/LIMITS.md).
"""

from __future__ import annotations

from typing import Any

import msgspec
import trio

from courtside.http.connection_limits import TOO_MANY, ConnectionsPerIp
from courtside.protocol import envelope

_REFUSAL = msgspec.json.encode(envelope(TOO_MANY, "too_many_connections"))
_REFUSAL_HEADERS = [(b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(_REFUSAL)).encode())]


class InFlight:
    """An ASGI wrapper that counts the requests and sockets it is serving."""

    def __init__(self, app: Any, per_ip: ConnectionsPerIp) -> None:
        self._app = app
        self._per_ip = per_ip
        self.count = 0
        self._idle = trio.Event()
        self._idle.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        ip = (scope.get("client") or ("unknown",))[0]
        if not self._per_ip.take(ip):
            await _refuse(scope, send)
            return
        if self.count == 0:
            self._idle = trio.Event()
        self.count += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._per_ip.give_back(ip)
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def until_idle(self) -> None:
        """Return once nothing is being served."""
        while self.count:
            await self._idle.wait()


async def _refuse(scope: dict[str, Any], send: Any) -> None:
    """429 in the error envelope; a WebSocket gets it as its handshake's answer."""
    prefix = "websocket.http" if scope["type"] == "websocket" else "http"
    await send({"type": f"{prefix}.response.start", "status": 429, "headers": _REFUSAL_HEADERS})
    await send({"type": f"{prefix}.response.body", "body": _REFUSAL})
