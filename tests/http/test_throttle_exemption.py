"""A load tester's address may create guests without the per-IP bucket; users keep theirs."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from courtside.server.config import Config

BURST = 3


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(
        config, throttle_burst=BURST, throttle_per_second=0.01, throttle_exempt_addresses=("127.0.0.1",)
    )


async def test_an_exempt_address_creates_many_guests_but_each_guest_is_throttled(
    client: httpx.AsyncClient,
) -> None:
    guests = [await client.post("/api/auth/guest/") for _ in range(4 * BURST)]
    assert [response.status_code for response in guests] == [201] * (4 * BURST)

    access = guests[0].json()["access"]
    statuses = [
        (await client.patch("/api/users/me/", json={"nickname": f"n{i}"},
                            headers={"Authorization": f"Bearer {access}"})).status_code
        for i in range(BURST + 1)
    ]
    assert statuses == [200] * BURST + [429]
