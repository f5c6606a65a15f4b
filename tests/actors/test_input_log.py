"""The replay's input log: exact round trips, the stored format, and a fixed cost per tick."""

from __future__ import annotations

import gc
import tracemalloc

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from courtside.actors.input_log import InputLog

positions = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def logged_ticks(draw: st.DrawFn) -> tuple[int, list[tuple[int, tuple[float | None, ...]]]]:
    paddles = draw(st.sampled_from([2, 6]))
    ticks = sorted(draw(st.sets(st.integers(0, 2**32 - 1), max_size=40)))
    return paddles, [
        (tick, tuple(draw(st.lists(positions, min_size=paddles, max_size=paddles))))
        for tick in ticks
    ]


@given(logged_ticks())
def test_every_logged_tick_comes_back_exactly_in_the_stored_format(case) -> None:
    paddles, ticks = case
    log = InputLog(paddles)
    for tick, inputs in ticks:
        log.append(tick, inputs)
    assert list(log) == [(tick, list(inputs)) for tick, inputs in ticks]
    # What match_replays has always held: MessagePack of the (tick, inputs) pairs.
    assert log.to_msgpack() == msgspec.msgpack.encode(ticks)


@pytest.mark.parametrize("count", [15, 16, 65_535, 65_536])
def test_long_logs_keep_the_stored_format(count: int) -> None:
    ticks = [(tick, (tick / 7, None)) for tick in range(count)]
    log = InputLog(2)
    for tick, inputs in ticks:
        log.append(tick, inputs)
    assert log.to_msgpack() == msgspec.msgpack.encode(ticks)


def test_a_match_hour_costs_a_fixed_few_bytes_per_tick_and_no_objects() -> None:
    ticks = 60 * 3600
    record_size = 4 + 2 * 8  # the tick, then both paddles' positions
    log = InputLog(2)
    gc.collect()
    tracked_before = len(gc.get_objects())
    tracemalloc.start()
    try:
        for tick in range(ticks):
            log.append(tick, (tick % 500 + 0.5, None if tick % 3 else 250.25))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(log) == ticks
    assert log.nbytes == ticks * record_size
    # The bytearray's spare capacity on top; the tuples this replaced took ~200 B a tick.
    assert held < ticks * record_size * 1.25
    assert len(gc.get_objects()) - tracked_before < 10
