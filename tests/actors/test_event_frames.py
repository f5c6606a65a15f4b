"""An event's frames are encoded once per wire format, for all its recipients on a node."""

from __future__ import annotations

import httpx
import msgspec
import trio

from courtside.server.node import Node
from tests.accounts import make_user


async def test_one_event_to_many_is_encoded_once_per_wire_format(
    client: httpx.AsyncClient, node: Node
) -> None:
    ana, ben = await make_user(client, "ana"), await make_user(client, "ben")
    bus = node.services.bus
    async with bus.connect(ana.id) as anas, bus.connect(ana.id) as anas_tab, \
            bus.connect(ben.id) as bens:
        bus.publish([ana.id, ben.id], "receive-message", {"chat_id": 7}, {"sender": "ana"})
        with trio.fail_after(10):
            heard = [await connection.events.receive() for connection in (anas, anas_tab, bens)]
    first = heard[0]
    assert all(event.socket_frame is first.socket_frame for event in heard)
    assert all(event.sse_frame is first.sse_frame for event in heard)
    assert msgspec.json.decode(first.socket_frame) == {
        "type": "receive-message", "id": first.id, "data": {"chat_id": 7},
        "kwargs": {"sender": "ana"},
    }
    assert first.sse_frame == (
        b'id: %d\nevent: receive-message\ndata: {"chat_id":7,"sender":"ana"}\n\n' % first.id
    )
