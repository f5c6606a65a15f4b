"""A burst of HTTP requests takes turns on the loop, and nothing slow holds a turn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio
import trio.testing

from courtside.server.node import Node
from courtside.server.request_slots import RequestSlots, SlottedRequests

LEASE = 0.02


async def test_requests_past_the_slots_wait_their_turn_in_order(autojump_clock: trio.testing.MockClock) -> None:
    slots = RequestSlots(slots=2, lease=LEASE)
    first, second = await slots.take(), await slots.take()
    served: list[int] = []

    async def wait_for_a_slot(number: int) -> None:
        ticket = await slots.take()
        served.append(number)
        slots.give_back(ticket)

    async with trio.open_nursery() as nursery:
        for number in range(3):
            nursery.start_soon(wait_for_a_slot, number)
            await trio.testing.wait_all_tasks_blocked()
        assert (slots.held, slots.waiting, served) == (2, 3, [])
        slots.give_back(first)
        slots.give_back(first)  # twice: still one slot freed
        await trio.testing.wait_all_tasks_blocked()
        assert served == [0, 1, 2]  # each gave its slot back to the next
        assert slots.held == 1  # ``second``, within its lease all along
    slots.give_back(second)
    assert slots.held == 0


async def test_a_request_past_its_lease_goes_on_without_its_slot(autojump_clock: trio.testing.MockClock) -> None:
    slots = RequestSlots(slots=1, lease=LEASE)
    await slots.take()  # never given back: a request waiting on something outside the loop
    started = trio.current_time()
    with trio.fail_after(1):
        await slots.take()
    assert trio.current_time() - started == pytest.approx(LEASE)


async def test_a_request_that_gives_up_waiting_leaves_the_queue(autojump_clock: trio.testing.MockClock) -> None:
    slots = RequestSlots(slots=1, lease=10.0)
    held = await slots.take()
    with trio.move_on_after(1):
        await slots.take()
    assert slots.waiting == 0
    slots.give_back(held)
    with trio.fail_after(1):
        slots.give_back(await slots.take())


async def test_a_response_under_way_holds_no_slot(autojump_clock: trio.testing.MockClock) -> None:
    slots = RequestSlots(slots=1, lease=10.0)
    streaming = trio.Event()

    async def event_stream(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        streaming.set()
        await trio.sleep_forever()

    async def ignore(message: Any) -> None:
        pass

    async with trio.open_nursery() as nursery:
        nursery.start_soon(SlottedRequests(event_stream, slots), {"type": "http"}, None, ignore)
        await streaming.wait()
        assert slots.held == 0
        nursery.cancel_scope.cancel()


async def test_clients_that_never_finish_their_bodies_do_not_stop_other_requests(
    node: Node, client: httpx.AsyncClient
) -> None:
    host, port = node.http_url.removeprefix("http://").split(":")
    stalled = []
    try:
        for _ in range(3 * 8):  # three times the slots
            stream = await trio.open_tcp_stream(host, int(port))
            await stream.send_all(b"POST /api/auth/login/ HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            stalled.append(stream)
        await trio.sleep(0.2)  # each handler is now awaiting a body that never comes
        statuses = []

        async def check_health() -> None:
            statuses.append((await client.get("/healthz")).status_code)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                for _ in range(40):
                    nursery.start_soon(check_health)
        assert statuses == [200] * 40
    finally:
        for stream in stalled:
            await stream.aclose()
