"""COURTSIDE_SSE_HEARTBEAT_SECONDS: a client with a short read timeout is served as it is."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import trio
from trio.testing import MockClock

from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import sse

# The reference's clients give up on a stream silent for a few seconds.
CLIENT_READ_TIMEOUT = 5.0
HEARTBEAT = 3.0


@pytest.fixture
def fast_clock() -> MockClock:
    return MockClock(rate=4.0)


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, sse_heartbeat_seconds=HEARTBEAT)


async def test_the_configured_heartbeat_keeps_a_short_timeout_client_reading(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    async with sse(client, alice) as stream:
        opened = trio.current_time()
        for beat in (1, 2, 3):
            assert await stream.next_frame(wait=CLIENT_READ_TIMEOUT) == {"comment": "heartbeat"}
            assert trio.current_time() - opened >= beat * HEARTBEAT
        # Events still come between the beats.
        node.services.bus.publish_to_user(alice.id, "after-beats", {})
        assert (await stream.next()).name == "after-beats"
