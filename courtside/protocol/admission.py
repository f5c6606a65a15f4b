"""What a WebSocket lets in from its client (DESIGN.md §6 limits), whatever the socket.

At most MESSAGES_PER_SECOND messages are taken (a token bucket); the rest are
dropped. Drops count up and drain at the same rate, so a client that keeps
sending at twice the rate for about a second is closed with 4429. Malformed
messages get an error frame; MALFORMED_LIMIT of them close with 1008.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from .close_codes import CloseCode

MESSAGES_PER_SECOND = 120.0
SUSTAINED_ABUSE = 120.0
MALFORMED_LIMIT = 10


class Verdict(enum.Enum):
    TAKE = enum.auto()
    DROP = enum.auto()
    CLOSE = enum.auto()


class Admission:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens = MESSAGES_PER_SECOND
        self._tokens_at = clock()
        self._abuse = 0.0
        self._malformed = 0

    def admit(self) -> Verdict:
        """One more message arrived: take it, drop it, or close (RATE_LIMITED)."""
        # Once per message on every socket: comparisons rather than min() and max() calls.
        now = self._clock()
        refill = (now - self._tokens_at) * MESSAGES_PER_SECOND
        self._tokens_at = now
        tokens = self._tokens + refill
        self._tokens = tokens if tokens < MESSAGES_PER_SECOND else MESSAGES_PER_SECOND
        abuse = self._abuse - refill
        self._abuse = abuse if abuse > 0.0 else 0.0
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return Verdict.TAKE
        self._abuse += 1.0
        return Verdict.CLOSE if self._abuse > SUSTAINED_ABUSE else Verdict.DROP

    def malformed(self) -> bool:
        """One more message could not be decoded; True once the socket must close."""
        self._malformed += 1
        return self._malformed >= MALFORMED_LIMIT

    RATE_LIMITED = (CloseCode.RATE_LIMITED, "too many messages")
    TOO_MANY_MALFORMED = (CloseCode.POLICY_VIOLATION, "too many malformed messages")
