"""The longest hold of the event loop, as operators see it on /metrics."""

from __future__ import annotations

import gc
import logging
import re
import time

import httpx
import pytest
import trio

BLOCKED_SECONDS = 0.2  # far above any step of a test server at rest


def sample(metrics: str, name: str) -> float:
    return float(next(line for line in metrics.splitlines() if line.startswith(f"{name} ")).split()[-1])


def steps_over_100_ms(metrics: str) -> float:
    return sample(metrics, "courtside_loop_step_seconds_count") - sample(
        metrics, 'courtside_loop_step_seconds_bucket{le="0.1"}'
    )


async def test_a_step_that_holds_the_loop_shows_as_the_longest_stall(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    assert "# TYPE courtside_loop_stall_seconds gauge" in before
    time.sleep(BLOCKED_SECONDS)  # this test's own task step holds the loop
    after = (await client.get("/metrics")).text
    assert sample(after, "courtside_loop_stall_seconds") >= BLOCKED_SECONDS
    assert steps_over_100_ms(after) >= steps_over_100_ms(before) + 1
    # Each scrape reports the longest step since the one before.
    again = (await client.get("/metrics")).text
    assert sample(again, "courtside_loop_stall_seconds") < BLOCKED_SECONDS


async def test_a_long_step_is_logged_with_its_task_its_time_on_the_cpu_and_the_collection_inside_it(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="courtside.actors.loop_stalls"):
        time.sleep(BLOCKED_SECONDS)  # holds the loop, off the CPU
        gc.collect()  # a full collection, inside the same step
        await trio.sleep(0)  # the step ends here
    held = [record.getMessage() for record in caplog.records if "held the loop" in record.getMessage()]
    assert len(held) == 1, held
    found = re.fullmatch(
        rf"task {re.escape(trio.lowlevel.current_task().name)} held the loop for (\d+\.\d) ms,"
        r" (\d+\.\d) ms of it on the CPU \((\d+\.\d) ms collecting generation 2\)", held[0]
    )
    assert found, held
    wall, on_cpu, _ = map(float, found.groups())
    assert wall >= BLOCKED_SECONDS * 1000
    assert on_cpu < wall - BLOCKED_SECONDS * 1000 / 2  # the sleep was not on the CPU
