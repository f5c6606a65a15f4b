"""The tick shard: a deadline grid that never drifts, and crash isolation."""

from __future__ import annotations

import time

import pytest
import trio
from trio.testing import MockClock

from courtside.actors import TickShard
from courtside.actors.tick_shard import LATE_RUNS_STRAIGHT, SLICE, STEP_BUDGET


class Counter:
    def __init__(self, *, fail_at: int | None = None) -> None:
        self.ticks: list[float] = []
        self.fail_at = fail_at
        self.failure: Exception | None = None

    def tick(self) -> None:
        self.ticks.append(trio.current_time())
        if len(self.ticks) == self.fail_at:
            raise RuntimeError("physics exploded")

    def flush(self) -> None:
        pass

    def tick_failed(self, error: Exception) -> None:
        self.failure = error


async def test_ticks_follow_the_grid_and_a_crash_removes_only_its_match(
    autojump_clock: MockClock,
) -> None:
    lateness: list[float] = []
    shard = TickShard(60, observe_lateness=lateness.append)
    steady, doomed = Counter(), Counter(fail_at=10)
    async with trio.open_nursery() as nursery:
        await nursery.start(shard.run)
        start = trio.current_time()
        shard.add(steady)
        shard.add(doomed)
        await trio.sleep(1.0 + 1e-9)
        nursery.cancel_scope.cancel()
    assert len(steady.ticks) == 60
    # Every tick on start + k/60: no drift accumulates.
    for k, at in enumerate(steady.ticks, start=1):
        assert at == pytest.approx(start + k / 60, abs=1e-9)
    assert len(doomed.ticks) == 10
    assert isinstance(doomed.failure, RuntimeError)
    assert len(shard) == 1
    assert max(lateness) == pytest.approx(0, abs=1e-9)


async def test_a_shard_a_tick_behind_catches_up_without_losing_a_tick(
    autojump_clock: MockClock,
) -> None:
    shard = TickShard(60)

    class Overrunning(Counter):
        def tick(self) -> None:
            super().tick()
            if len(self.ticks) == 5:
                autojump_clock.jump(0.04)  # one burst that took nearly two and a half periods

    overrunning = Overrunning()
    async with trio.open_nursery() as nursery:
        await nursery.start(shard.run)
        start = trio.current_time()
        shard.add(overrunning)
        await trio.sleep(1.0 + 1e-9)
        nursery.cancel_scope.cancel()
    assert shard.skipped_ticks == 0
    assert len(overrunning.ticks) == 60  # game time kept up with the clock
    # Ticks 6 and 7 ran late, back to back, and from tick 8 on the grid again.
    assert overrunning.ticks[5] == pytest.approx(start + 5 / 60 + 0.04, abs=1e-9)
    assert overrunning.ticks[6] == overrunning.ticks[5]
    assert overrunning.ticks[7] == pytest.approx(start + 8 / 60, abs=1e-9)


async def test_a_shard_far_behind_skips_missed_deadlines_instead_of_bursting(
    autojump_clock: MockClock,
) -> None:
    shard = TickShard(60)

    class Slow(Counter):
        def tick(self) -> None:
            super().tick()
            if len(self.ticks) == 5:
                autojump_clock.jump(0.1)  # a tick that took 100 ms

    slow = Slow()
    async with trio.open_nursery() as nursery:
        await nursery.start(shard.run)
        shard.add(slow)
        await trio.sleep(1.0)
        nursery.cancel_scope.cancel()
    assert shard.skipped_ticks == 5  # deadlines 6-10 passed while tick 5 ran
    gaps = [b - a for a, b in zip(slow.ticks, slow.ticks[1:])]
    assert min(gaps) > 0.9 / 60  # never two ticks back to back


async def test_every_match_steps_before_any_writes_and_a_failing_write_aborts_its_match_alone(
    autojump_clock: MockClock,
) -> None:
    shard = TickShard(60)
    passes: list[str] = []

    class Logged(Counter):
        def __init__(self, name: str, *, fail_flush_at: int | None = None) -> None:
            super().__init__()
            self.name = name
            self.fail_flush_at = fail_flush_at

        def tick(self) -> None:
            super().tick()
            passes.append(f"tick {self.name}")

        def flush(self) -> None:
            passes.append(f"flush {self.name}")
            if len(self.ticks) == self.fail_flush_at:
                raise OSError("socket exploded")

    first, second = Logged("first", fail_flush_at=2), Logged("second")
    async with trio.open_nursery() as nursery:
        await nursery.start(shard.run)
        shard.add(first)
        shard.add(second)
        await trio.sleep(3 / 60 + 1e-9)
        nursery.cancel_scope.cancel()
    assert passes == [
        "tick first", "tick second", "flush first", "flush second",
        "tick first", "tick second", "flush first", "flush second",
        "tick second", "flush second",
    ]
    assert isinstance(first.failure, OSError)
    assert second.failure is None


def costly_matches(stepped: list[int], started: trio.Event, on_first_tick=lambda: None):
    """A match whose tick holds the loop a quarter of the budget (real time: the
    budget's clock); ``started`` is set from the first tick of a pass on."""

    class Costly(Counter):
        def tick(self) -> None:
            super().tick()
            if not started.is_set():
                started.set()
                on_first_tick()
            until = time.perf_counter() + STEP_BUDGET / 4
            while time.perf_counter() < until:
                pass
            stepped.append(len(stepped))

    return Costly


async def ran_after_a_pass(clock: MockClock, *, falls_behind: bool) -> tuple[list[int], int]:
    """How many matches had stepped when another task, ready from the pass's first
    tick on, got its turn; and how many stepped in all."""
    shard = TickShard(60)
    stepped: list[int] = []
    started = trio.Event()
    ran_after: list[int] = []
    # Falling behind: the first tick ends as if a burst of other work had kept the
    # pass from its deadline.
    jump = (lambda: clock.jump(2 * LATE_RUNS_STRAIGHT)) if falls_behind else (lambda: None)
    Costly = costly_matches(stepped, started, jump)

    async def another_task() -> None:
        await started.wait()
        ran_after.append(len(stepped))

    async with trio.open_nursery() as nursery:
        await nursery.start(shard.run)
        nursery.start_soon(another_task)
        for _ in range(3 * SLICE):
            shard.add(Costly())
        await trio.sleep(1.5 / 60)
        nursery.cancel_scope.cancel()
    return ran_after, len(stepped)


async def test_a_long_pass_on_time_lets_other_tasks_run_between_its_slices(
    autojump_clock: MockClock,
) -> None:
    ran_after, stepped = await ran_after_a_pass(autojump_clock, falls_behind=False)
    # One slice (twice the budget) held the loop, then the other task had its turn: in
    # the next batch of runnable tasks, which Trio runs in either order.
    assert ran_after in ([SLICE], [2 * SLICE])
    assert stepped == 3 * SLICE


async def test_a_pass_behind_its_deadline_runs_straight_to_its_end(
    autojump_clock: MockClock,
) -> None:
    ran_after, stepped = await ran_after_a_pass(autojump_clock, falls_behind=True)
    assert ran_after == [3 * SLICE]
    assert stepped == 3 * SLICE
