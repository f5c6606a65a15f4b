"""One address opening sockets by the thousand is refused past its share, on both
ports, and the server goes on serving everyone else (docs/LIMITS.md)."""

from __future__ import annotations

import dataclasses
from contextlib import AsyncExitStack

import httpx
import pytest
import trio

from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import make_user

LIMIT = 20
SOCKETS = 1000


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, max_connections_per_ip=LIMIT)


async def _first_bytes(stream: trio.SocketStream) -> bytes:
    """What the server says before it waits for us: a refusal, or nothing (b"")."""
    with trio.move_on_after(0.5):
        return await stream.receive_some(64)
    return b""


async def test_thousands_of_game_sockets_from_one_address_are_refused_past_its_share(
    client: httpx.AsyncClient, node: Node
) -> None:
    port = node.games.game_port.port
    async with AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(await trio.open_tcp_stream("127.0.0.1", port))
                   for _ in range(SOCKETS)]
        answers = [await _first_bytes(stream) for stream in streams[LIMIT:LIMIT + 50]]
        # The held ones are waiting for their handshakes; every later one was turned away.
        assert all(answer.startswith(b"HTTP/1.1 429") for answer in answers), answers[:3]
        assert node.games.game_port.open_sockets == LIMIT
    metrics = (await client.get("/metrics")).text
    refused = next(float(line.split()[1]) for line in metrics.splitlines()
                   if line.startswith("courtside_connections_refused_total "))
    assert refused >= len(answers)
    # Their places are free again once they close.
    with trio.fail_after(10):
        while node.games.game_port.open_sockets:
            await trio.sleep(0.05)
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        await stream.send_all(b"GET /nowhere/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              b"Sec-WebSocket-Version: 13\r\n\r\n")
        assert (await stream.receive_some(64)).startswith(b"HTTP/1.1 404")


async def test_event_streams_and_requests_from_one_address_share_its_budget(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    async with httpx.AsyncClient(base_url=node.http_url, timeout=10,
                                 limits=httpx.Limits(max_connections=LIMIT + 5)) as http:
        async with AsyncExitStack() as stack:
            # Each user may hold 16 live connections: two users fill the address's share.
            for i in range(LIMIT):
                account = alice if i % 2 else bob
                stream = await stack.enter_async_context(
                    http.stream("GET", "/sse/users/", headers=account.headers))
                assert stream.status_code == 200
            refused = await client.get("/healthz")
            assert refused.status_code == 429, refused.text
            assert refused.json()["code"] == "too_many_connections"
            socket_refused = await client.get(
                "/ws/", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                 "Sec-WebSocket-Version": "13"})
            assert socket_refused.status_code == 429, socket_refused.text
        # Streams closed: the address is served again.
        with trio.fail_after(10):
            while (await client.get("/healthz")).status_code == 429:
                await trio.sleep(0.05)
