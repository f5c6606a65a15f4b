"""Token buckets for unsafe methods, per user or per IP (DESIGN.md §3)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class Throttle:
    """``burst`` requests at once, refilled at ``per_second``, per key.

    Time comes from ``clock`` (trio.current_time in the app) so tests can run it
    on a virtual clock. At most ``max_keys`` buckets are kept: the least recently
    used ones are forgotten, which only ever lets a forgotten client start full.
    """

    def __init__(
        self,
        *,
        burst: int,
        per_second: float,
        clock: Callable[[], float],
        max_keys: int = 100_000,
    ) -> None:
        self._burst = float(burst)
        self._per_second = per_second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 when allowed, else seconds until allowed."""
        bucket = self._refilled(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._per_second

    def wait_time(self, key: str) -> float:
        """Seconds until ``key`` may spend a token, without spending one."""
        return max(0.0, (1.0 - self._refilled(key).tokens) / self._per_second)

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._per_second)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return bucket
