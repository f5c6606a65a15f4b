"""Shutdown waits for what is in flight, and for nothing else."""

from __future__ import annotations

import dataclasses

import httpx
import trio

from courtside.server.config import Config
from courtside.server.node import run_node
from tests.accounts import make_user

LONG_GRACE = 600.0


async def test_an_idle_keep_alive_connection_does_not_hold_shutdown(config: Config) -> None:
    config = dataclasses.replace(config, shutdown_grace_seconds=LONG_GRACE)
    async with httpx.AsyncClient() as kept_alive:
        with trio.fail_after(LONG_GRACE / 10):
            async with trio.open_nursery() as nursery:
                node = await nursery.start(run_node, config)
                assert (await kept_alive.get(f"{node.http_url}/healthz")).status_code == 200
                node.shutdown()
        # The connection is still open on the client's side, idle in its pool.
        assert kept_alive._transport._pool.connections


async def test_an_open_event_stream_is_ended_and_shutdown_then_completes(
    config: Config
) -> None:
    config = dataclasses.replace(config, shutdown_grace_seconds=LONG_GRACE)
    async with httpx.AsyncClient(timeout=30) as http:
        with trio.fail_after(LONG_GRACE / 10):
            async with trio.open_nursery() as nursery:
                node = await nursery.start(run_node, config)
                http.base_url = node.http_url
                alice = await make_user(http, "alice")
                async with http.stream("GET", "/sse/users/", headers=alice.headers) as stream:
                    chunks = stream.aiter_bytes()
                    assert (await anext(chunks)).startswith(b"retry:")
                    node.shutdown()
                    async for _ in chunks:  # the server ends the stream; nothing hangs
                        pass
