"""How fast one person may post into a chat: a token bucket per sender.

A burst, then a steady rate: a person types slower, and a client looping on
send does not flood every member's channel. Time is the caller's
(``trio.current_time()`` in a room), so rooms run on a virtual clock in tests.
"""

from __future__ import annotations


class SendRate:
    """``burst`` messages at once, refilled at ``per_second``."""

    __slots__ = ("_at", "_burst", "_per_second", "_tokens")

    def __init__(self, burst: int, per_second: float, now: float) -> None:
        self._burst = float(burst)
        self._per_second = per_second
        self._tokens = self._burst
        self._at = now

    def spend(self, now: float) -> float:
        """0.0 when the sender may send now (one token spent), else the seconds until they may."""
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._per_second)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self._per_second

    def is_full(self, now: float) -> bool:
        """Refilled to the burst by now: forgetting it changes nothing."""
        return self._tokens + (now - self._at) * self._per_second >= self._burst
