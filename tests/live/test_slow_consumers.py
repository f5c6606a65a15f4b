"""A connection that stops reading is cut off; nobody else waits for it."""

from __future__ import annotations

import httpx
import msgspec
import trio
import trio_websocket

from courtside.actors import CONNECTION_BACKLOG
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import over_both_ports, user_socket, ws_url

# Far more than loopback's socket buffers and the connection's backlog hold.
EVENTS = 3000
BLOB = "x" * 8000


@over_both_ports
async def test_a_connection_that_stops_reading_is_closed_while_others_get_everything(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    bus = node.services.bus
    async with user_socket(node, alice, port=port) as fast, trio_websocket.open_websocket_url(
        ws_url(node, port=port), extra_headers=[("Cookie", f"access={alice.access}")],
        message_queue_size=1,  # once one message waits unread, the client stops reading
    ) as slow:
        await slow.send_message('{"type": "ping"}')
        await slow.get_message()  # the pong: the slow tab is subscribed
        received = []

        async def read_fast() -> None:
            while len(received) < EVENTS:
                received.append((await fast.next()).data["n"])

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_fast)
            for n in range(EVENTS):
                bus.publish_to_user(alice.id, "bulk", {"n": n, "blob": BLOB})
                # The reading tab keeps up (within half its backlog); the other never reads.
                while len(received) < n - CONNECTION_BACKLOG // 2:
                    await trio.sleep(0.001)
        assert received == list(range(EVENTS))

        slow_received = []
        with trio.fail_after(10):
            try:
                while True:
                    slow_received.append(msgspec.json.decode(await slow.get_message())["data"]["n"])
            except trio_websocket.ConnectionClosed as closed:
                assert (closed.reason.code, closed.reason.reason) == (1008, "slow consumer")
        # What it had taken before it was closed, in order; never all of it.
        assert slow_received == list(range(len(slow_received)))
        assert len(slow_received) < EVENTS
