"""One measuring window of bench/load_client.py: what arrived, and the gaps between arrivals.

Inter-arrival gaps of state updates go into a histogram of 0.1 ms bins (up
to 2 s; longer ones share the last bin, and the maximum is kept exactly), so
recording a gap costs an index and an increment whatever the load, and the
percentiles come out at 0.1 ms resolution.
"""

from __future__ import annotations

import os
import time

BIN_SECONDS = 1e-4
BINS = 20_000


class Window:
    __slots__ = ("hist", "max_gap", "received", "skipped", "goals", "closed", "playing",
                 "_started", "_cpu", "_times")

    def __init__(self, playing: int = 0) -> None:
        self.hist = [0] * (BINS + 1)
        self.max_gap = 0.0
        self.received = 0  # state updates, from players playing when the window opened
        self.skipped = 0  # ticks missing between two consecutive state updates
        self.goals = 0  # there should be none: the players never miss
        self.closed = 0  # measured players whose socket closed
        self.playing = playing
        self._started = time.monotonic()
        self._cpu = time.process_time()
        self._times = os.times()

    def add_gap(self, gap: float) -> None:
        index = int(gap * 10_000)
        self.hist[index if index < BINS else BINS] += 1
        if gap > self.max_gap:
            self.max_gap = gap

    def percentile_ms(self, q: float) -> float | None:
        """The bin's middle, in ms, where the ``q`` quantile of the gaps falls."""
        total = sum(self.hist)
        if not total:
            return None
        need, seen = q * total, 0
        for index, count in enumerate(self.hist):
            seen += count
            if seen >= need:
                return round((index + 0.5) * BIN_SECONDS * 1000, 2)
        return None

    def summary(self, rate: float, per_player: list[int]) -> dict:
        seconds = time.monotonic() - self._started
        cpu = time.process_time() - self._cpu
        system = os.times().system - self._times.system
        return {
            "seconds": round(seconds, 3), "playing_at_mark": self.playing,
            "received": self.received, "expected": round(self.playing * rate * seconds),
            "gaps": sum(self.hist), "gap_p50_ms": self.percentile_ms(0.50),
            "gap_p99_ms": self.percentile_ms(0.99), "gap_max_ms": round(self.max_gap * 1000, 2),
            "per_conn_min": min(per_player, default=0), "per_conn_max": max(per_player, default=0),
            "skipped_ticks": self.skipped, "goals": self.goals, "closed_in_window": self.closed,
            "cpu_seconds": round(cpu, 3), "cpu_system_seconds": round(system, 3),
            "cpu_percent": round(100 * cpu / seconds, 1) if seconds else 0.0,
        }
