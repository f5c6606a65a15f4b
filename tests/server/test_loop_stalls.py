"""The longest hold of the event loop, as operators see it on /metrics."""

from __future__ import annotations

import time

import httpx

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
