"""The tick shard as operators see it on /metrics."""

from __future__ import annotations

import time

import httpx

BLOCKED_SECONDS = 0.1  # six ticks at 60 Hz


def skipped_ticks(metrics: str) -> float:
    line = next(line for line in metrics.splitlines() if line.startswith("courtside_tick_skipped_total"))
    return float(line.split()[-1])


async def test_ticks_the_shard_misses_are_counted_on_metrics(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    assert "# TYPE courtside_tick_skipped_total counter" in before
    # Holding the event loop makes the shard wake a few whole ticks late.
    time.sleep(BLOCKED_SECONDS)
    after = (await client.get("/metrics")).text
    assert skipped_ticks(after) >= skipped_ticks(before) + 4
