"""Connections per client address (docs/LIMITS.md): one IP cannot hold them all.

One budget covers what a client keeps open on either port: HTTP requests in
flight, event streams and user sockets (counted around each ASGI call) and game
sockets (counted from accept to close). Past it a connection is refused at once,
before it costs a task, a hub subscription or buffers.
"""

from __future__ import annotations

import collections

TOO_MANY = "Too many connections from this address; close some before opening more."


class ConnectionsPerIp:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: collections.Counter[str] = collections.Counter()
        self.refused = 0

    def take(self, ip: str) -> bool:
        """Count one more connection from ``ip``; False (and nothing counted) past the limit."""
        if self._held[ip] >= self.limit:
            self.refused += 1
            return False
        self._held[ip] += 1
        return True

    def give_back(self, ip: str) -> None:
        self._held[ip] -= 1
        if self._held[ip] <= 0:
            del self._held[ip]

    def held(self, ip: str) -> int:
        return self._held[ip]
