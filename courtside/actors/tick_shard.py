"""The tick shard: one task that steps every playing match on a shared deadline grid.

A Trio task wake-up per match per tick would cost more than the match's own
step (DESIGN.md §13), so one task calls ``tick()`` on each playing match at
``start + k * dt``. The grid never drifts: lateness is measured against it.
A shard a tick or two behind (one burst overran the period, or a pause) runs
the missed ticks back to back, so game time keeps up with the clock and no
state is lost; one that falls CATCH_UP_TICKS behind is overloaded, and skips
the missed deadlines (counted) rather than spiral further behind.

A pass goes through the matches a slice at a time, in two phases: every match of
the slice steps (``tick``), then each writes what it has to send (``flush``), so
the slice's writes leave in one burst. Spread between the steps, nearly every
write found its peer asleep and paid to wake it (a tenth of the server's core, by
perf, at 250 matches on loopback); in a burst the peer is still reading when the
next write lands (bench/RESULTS.md). Once a pass has held the loop for
STEP_BUDGET it lets other tasks run before its next slice: a pass over hundreds of
matches is many milliseconds, and nothing else (a request, a fan-out, a socket's
handshake) should wait that long for the loop (issue 20). But only while the pass is
on time: once it is LATE_RUNS_STRAIGHT behind its deadline it runs to its end. Each
yield waits for every other runnable task to take its turn, and during a burst (a
wave of players queueing) those turns add up to tens of milliseconds a yield: a pass
that kept yielding then fell further behind with every slice, and the players lost
states (bench/RESULTS.md).

An exception in either phase removes that match alone and hands the error back
to it; the others never notice.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

import trio

log = logging.getLogger(__name__)

CATCH_UP_TICKS = 3
SLICE = 8  # matches stepped, then flushed, between two looks at the clock
STEP_BUDGET = 0.001  # s of the loop a pass holds before it lets other tasks run
LATE_RUNS_STRAIGHT = 0.002  # s behind its deadline from which a pass yields no more


class Ticking(Protocol):
    def tick(self) -> None:
        """Advance one tick; never awaits. Writes wait for ``flush``."""

    def flush(self) -> None:
        """Write what the last ``tick`` left to send; never awaits."""

    def tick_failed(self, error: Exception) -> None:
        """The shard dropped this match because its tick raised ``error``."""


class TickShard:
    """Steps matches at ``rate`` Hz; ``observe_lateness`` receives each tick's lateness."""

    def __init__(self, rate: int = 60, *, observe_lateness=lambda seconds: None) -> None:
        if rate <= 0:
            raise ValueError("tick rate must be positive")
        self.rate = rate
        self.period = 1.0 / rate
        self.skipped_ticks = 0
        self._observe_lateness = observe_lateness
        self._playing: dict[Ticking, None] = {}  # insertion-ordered set

    def __len__(self) -> int:
        return len(self._playing)

    def add(self, match: Ticking) -> None:
        self._playing[match] = None

    def remove(self, match: Ticking) -> None:
        self._playing.pop(match, None)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        start = trio.current_time()
        task_status.started()
        k = 0
        while True:
            k += 1
            deadline = start + k * self.period
            await trio.sleep_until(deadline)
            lateness = trio.current_time() - deadline
            self._observe_lateness(lateness)
            if lateness >= CATCH_UP_TICKS * self.period:
                skipped = math.floor(lateness / self.period)
                self.skipped_ticks += skipped
                k += skipped
            await self._tick_all(deadline)

    async def _tick_all(self, deadline: float) -> None:
        # A copy: a tick may end its match, which removes it from the shard, and
        # a match that ended still sends its last state.
        playing = list(self._playing)
        held_since = time.perf_counter()
        for first in range(0, len(playing), SLICE):
            if (time.perf_counter() - held_since > STEP_BUDGET
                    and trio.current_time() - deadline < LATE_RUNS_STRAIGHT):
                await trio.lowlevel.checkpoint()
                held_since = time.perf_counter()
            # Removed while other tasks ran (aborted, say): not stepped again.
            sliced = [match for match in playing[first : first + SLICE] if match in self._playing]
            stepped = [match for match in sliced if self._guarded(match, match.tick)]
            for match in stepped:
                self._guarded(match, match.flush)

    def _guarded(self, match: Ticking, phase: Callable[[], None]) -> bool:
        try:
            phase()
        except Exception as error:
            self.remove(match)
            log.exception("match tick failed; aborting that match")
            match.tick_failed(error)
            return False
        return True
