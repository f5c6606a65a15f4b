"""How long the loop is held: every task step timed by a Trio instrument.

Trio runs one task step at a time, so a step that runs long (a pairing pass, a big
fan-out, a CPU-heavy handler) delays every other task, the tick shard's included.
Tick lateness shows the effect on matches; this shows the cause. It costs three
clock reads a step (the CPU clock is a system call, about 0.25 µs) and a few
additions. The log line of a long step says how much of it the loop's thread spent
on the CPU: the rest it was off the core, preempted by another process (PostgreSQL
on a shared core) or waiting for the GIL a database thread held, which no change to
the step itself would shorten. A garbage collection runs inside whatever step
allocated last, so the line also says how much of the step was one.
"""

from __future__ import annotations

import bisect
import gc
import logging
import time

import trio

log = logging.getLogger(__name__)

BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class LoopStalls(trio.abc.Instrument):
    """Start with ``await nursery.start(stalls.run)``: it watches while ``run`` runs.
    A step longer than ``report_over`` seconds is logged with its task's name."""

    def __init__(self, report_over: float = 0.1) -> None:
        self.report_over = report_over
        self.steps = 0
        self.seconds = 0.0
        self._longest = 0.0
        # Steps by the first bucket bound they fit under (the last: over every bound);
        # the first count is derived, so the common short step only adds to ``steps``.
        self._by_bucket = [0] * (len(BUCKETS) + 1)
        self._began = 0.0
        self._began_on_cpu = 0.0  # the loop thread's CPU time when the step began
        self._collecting_since = 0.0
        self._collected = 0.0  # seconds of garbage collection in the current step
        self._generation = -1  # the oldest generation collected in it

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self._began = time.perf_counter()  # this very step ends first, unstarted
        trio.lowlevel.add_instrument(self)
        gc.callbacks.append(self._collection)
        try:
            task_status.started()
            await trio.sleep_forever()
        finally:
            gc.callbacks.remove(self._collection)
            trio.lowlevel.remove_instrument(self)

    def _collection(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._collecting_since = time.perf_counter()
        else:
            self._collected += time.perf_counter() - self._collecting_since
            self._generation = max(self._generation, info["generation"])

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._collected, self._generation = 0.0, -1
        self._began = time.perf_counter()
        self._began_on_cpu = time.thread_time()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        held = time.perf_counter() - self._began
        self.steps += 1
        self.seconds += held
        if held > self._longest:
            self._longest = held
        if held > BUCKETS[0]:
            self._by_bucket[bisect.bisect_left(BUCKETS, held)] += 1
            if held > self.report_over:
                on_cpu = time.thread_time() - self._began_on_cpu
                collected = (f" ({self._collected * 1000:.1f} ms collecting generation"
                             f" {self._generation})") if self._generation >= 0 else ""
                log.warning("task %s held the loop for %.1f ms, %.1f ms of it on the CPU%s",
                            task.name, held * 1000, on_cpu * 1000, collected)

    def take_longest(self) -> float:
        """The longest step since the last call: each scrape sees its own interval."""
        longest, self._longest = self._longest, 0.0
        return longest

    def cumulative_buckets(self) -> list[tuple[float, int]]:
        """(bound, steps that took at most that long) for each bound, then infinity."""
        counts = [self.steps - sum(self._by_bucket[1:]), *self._by_bucket[1:]]
        running, buckets = 0, []
        for bound, count in zip((*BUCKETS, float("inf")), counts):
            running += count
            buckets.append((bound, running))
        return buckets
