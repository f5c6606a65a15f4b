"""Unsafe methods are throttled per client with the reference's 429."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from courtside.http import Throttle
from courtside.server.config import Config


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(burst=3, per_second=2.0, clock=clock)
    assert [throttle.take("ip:1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.take("ip:1") == pytest.approx(0.5)
    assert throttle.take("ip:2") == 0.0  # another client has its own bucket
    clock.now = 0.5
    assert throttle.take("ip:1") == 0.0
    assert throttle.take("ip:1") > 0


def test_forgotten_clients_start_with_a_full_bucket() -> None:
    clock = FakeClock()
    throttle = Throttle(burst=1, per_second=0.1, clock=clock, max_keys=2)
    throttle.take("a")
    throttle.take("b")
    throttle.take("c")  # evicts "a", the least recently used
    assert throttle.take("a") == 0.0
    assert throttle.take("c") > 0


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, throttle_burst=3, throttle_per_second=0.5)


async def test_fourth_quick_post_is_throttled_with_retry_after(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.post("/probe/greetings/", json={"name": "ana"})).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 201]

    response = await client.post("/probe/greetings/", json={"name": "ana"})
    assert response.status_code == 429
    assert response.json() == {"detail": "Request was throttled.", "code": "throttled"}
    assert response.headers["retry-after"] == "2"

    # Reads are never throttled.
    assert (await client.get("/healthz")).status_code == 200
