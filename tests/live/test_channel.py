"""The user channel's transports: same events on SSE and /ws/, replay, auth, limits."""

from __future__ import annotations

import contextlib
import dataclasses

import httpx
import pytest
import trio
import trio_websocket
from trio.testing import MockClock

from courtside.actors import HUB, MAX_CONNECTIONS_PER_USER, Deliver, Event
from courtside.http.live.events import ACCOUNT_DELETED
from courtside.http.live.session import MAX_MESSAGE_BYTES
from courtside.protocol.admission import MALFORMED_LIMIT, MESSAGES_PER_SECOND, SUSTAINED_ABUSE
from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user

from .conftest import close_code, over_both_ports, sse, user_socket, ws_url


@over_both_ports
async def test_every_open_connection_gets_every_event_in_order(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    bus = node.services.bus
    async with sse(client, alice) as tab_one, user_socket(node, alice, port=port) as tab_two, \
            user_socket(node, bob, cookie=False, port=port) as bobs:
        for n in range(3):
            bus.publish_to_user(alice.id, "test-event", {"n": n}, {"username": "carol"})
        bus.publish_to_user(bob.id, "for-bob", {"n": 9})
        over_sse = [await tab_one.next() for _ in range(3)]
        over_ws = [await tab_two.next() for _ in range(3)]
        assert over_sse == over_ws
        assert [e.data for e in over_sse] == [{"n": n, "username": "carol"} for n in range(3)]
        assert {e.name for e in over_sse} == {"test-event"}
        assert over_sse[0].id < over_sse[1].id < over_sse[2].id
        assert (await bobs.next()).data == {"n": 9}


@over_both_ports
async def test_events_queued_together_arrive_whole_and_in_order_and_a_deletion_is_the_last(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with user_socket(node, alice, port=port) as socket:
        hub = node.services.registry.lookup(HUB)
        first = 10**12  # past anything the stream numbered
        # Queued without a checkpoint between: the hub takes them together.
        for n in range(100):
            hub.send_nowait(Deliver((alice.id,), Event(first + n, "burst", {"n": n})))
        assert [(await socket.next()).data["n"] for _ in range(100)] == list(range(100))
        for n, name in enumerate(("before", ACCOUNT_DELETED, "after"), start=first + 100):
            hub.send_nowait(Deliver((alice.id,), Event(n, name, {})))
        assert [(await socket.next()).name for _ in range(2)] == ["before", ACCOUNT_DELETED]
        after_it = []
        with trio.fail_after(5):
            try:
                while True:
                    after_it.append(await socket.receive())
            except trio_websocket.ConnectionClosed as closed:
                assert (closed.reason.code, after_it) == (1000, [])


@over_both_ports
async def test_reconnecting_with_the_last_event_id_misses_nothing(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    bus = node.services.bus
    async with sse(client, alice) as stream:
        bus.publish_to_user(alice.id, "seen", {"n": 0})
        seen = await stream.next()
    for n in (1, 2):
        bus.publish_to_user(alice.id, "missed", {"n": n})
    async with sse(client, alice, last_event_id=seen.id) as stream:
        assert [(e.name, e.data) for e in (await stream.next(), await stream.next())] == [
            ("missed", {"n": 1}), ("missed", {"n": 2}),
        ]
        last = stream.last_event_id
    async with user_socket(node, alice, query=f"?last_event_id={seen.id}", port=port) as socket:
        assert [(await socket.next()).data for _ in range(2)] == [{"n": 1}, {"n": 2}]
        bus.publish_to_user(alice.id, "live", {"n": 3})
        live = await socket.next()
        assert (live.name, live.id > last) == ("live", True)


@over_both_ports
async def test_a_bad_last_event_id_is_refused(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    response = await client.get("/sse/users/", headers={**alice.headers, "Last-Event-ID": "x"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    async with trio_websocket.open_websocket_url(
        ws_url(node, "?last_event_id=-1", port), extra_headers=[("Cookie", f"access={alice.access}")]
    ) as ws:
        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
            await ws.get_message()
    assert closed.value.reason.code == 1008


@over_both_ports
async def test_the_channel_needs_a_valid_token(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    assert (await client.get("/sse/users/")).status_code == 401
    for headers, first_message in (
        ([("Cookie", "access=forged")], None),
        ([], '{"type": "authenticate", "token": "forged"}'),
        ([], '{"type": "ping"}'),
    ):
        async with trio_websocket.open_websocket_url(ws_url(node, port=port), extra_headers=headers) as ws:
            if first_message:
                await ws.send_message(first_message)
            with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                await ws.get_message()
        assert closed.value.reason.code == 4401


@over_both_ports
async def test_a_silent_socket_is_closed_after_the_authentication_window(
    client: httpx.AsyncClient, node: Node, autojump_clock: trio.abc.Clock, port: str
) -> None:
    async with trio_websocket.open_websocket_url(ws_url(node, port=port)) as ws:
        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
            await ws.get_message()
    assert closed.value.reason.code == 4401


@over_both_ports
async def test_abusive_clients_are_closed(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with user_socket(node, alice, port=port) as socket:
        await socket.send("no_such_type")
        assert (await socket.receive())["type"] == "error"
        for _ in range(MALFORMED_LIMIT - 1):
            await socket.socket.send_message("{not json")
        assert await close_code(socket) == 1008
    async with user_socket(node, alice, port=port) as socket:
        await socket.socket.send_message("x" * (MAX_MESSAGE_BYTES + 1))
        assert await close_code(socket) == 1009
    async with user_socket(node, alice, port=port) as socket:
        with contextlib.suppress(trio_websocket.ConnectionClosed):
            for _ in range(int(MESSAGES_PER_SECOND + SUSTAINED_ABUSE) * 2):
                await socket.send("ping")
        assert await close_code(socket) == 4429


@over_both_ports
async def test_a_crashed_hub_is_restarted_and_its_clients_reconnect(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with user_socket(node, alice, port=port) as socket:
        hub = node.services.registry.lookup(HUB)
        # An unhashable user id: a bug, as the hub meets it.
        hub.send_nowait(Deliver(user_ids=([alice.id],), event=Event(1, "bad", {})))
        assert await close_code(socket) == 1011
    with trio.fail_after(5):
        while node.services.registry.lookup(HUB) in (None, hub):
            await trio.sleep(0.05)
    async with user_socket(node, alice, port=port) as socket:
        node.services.bus.publish_to_user(alice.id, "after-restart", {})
        assert (await socket.next()).name == "after-restart"


@over_both_ports
async def test_presence_follows_open_connections(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    bus = node.services.bus

    async def online() -> bool:
        return (await bus.presence([alice.id]))[alice.id].is_online

    assert not await online()
    async with sse(client, alice):
        async with user_socket(node, alice, port=port):
            assert await online()
        assert await online()
    with trio.fail_after(5):
        while await online():
            await trio.sleep(0.02)
        while (await client.get("/api/users/me/", headers=alice.headers)).json()["last_online"] is None:
            await trio.sleep(0.02)


@over_both_ports
async def test_a_password_change_closes_sockets_opened_on_the_old_tokens(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with user_socket(node, alice, port=port) as old_tab, sse(client, alice) as old_stream:
        changed = await client.patch(
            "/api/users/me/", headers=alice.headers,
            json={"password": "a-new-horse-43", "old_password": DEFAULT_PASSWORD},
        )
        assert changed.status_code == 200
        assert await close_code(old_tab) == 4401
        with pytest.raises(EOFError):
            await old_stream.next_frame()
    renewed = dataclasses.replace(alice, access=changed.json()["access"])
    async with user_socket(node, renewed, port=port) as new_tab:
        node.services.bus.publish_to_user(alice.id, "still-here", {})
        assert (await new_tab.next()).name == "still-here"


@pytest.fixture
def fast_clock() -> MockClock:
    return MockClock(rate=10.0)  # 15 s of heartbeat period in 1.5 s


async def test_a_quiet_stream_gets_a_heartbeat_every_period(
    fast_clock: MockClock, config: Config, client: httpx.AsyncClient, node: Node
) -> None:
    period = config.sse_heartbeat_seconds
    assert period == 15.0  # the default
    alice = await make_user(client, "alice")
    async with sse(client, alice) as stream:
        opened = trio.current_time()
        for beat in (1, 2):
            assert await stream.next_frame(wait=period * 1.5) == {"comment": "heartbeat"}
            assert trio.current_time() - opened >= beat * period


@over_both_ports
async def test_a_user_holds_at_most_so_many_connections(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with contextlib.AsyncExitStack() as tabs:
        for _ in range(MAX_CONNECTIONS_PER_USER // 2):
            await tabs.enter_async_context(user_socket(node, alice, port=port))
            await tabs.enter_async_context(sse(client, alice))
        one_more = await client.get("/sse/users/", headers=alice.headers)
        assert one_more.status_code == 429
        assert one_more.json()["code"] == "too_many_connections"
        async with trio_websocket.open_websocket_url(
            ws_url(node, port=port), extra_headers=[("Cookie", f"access={alice.access}")]
        ) as ws:
            with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                await ws.get_message()
        assert (closed.value.reason.code, closed.value.reason.reason) == (
            1008, "too many connections",
        )
    # Once the server has seen the tabs close there is room again.
    with trio.fail_after(5):
        while await node.services.bus.connection_count(alice.id):
            await trio.sleep(0.01)
    async with user_socket(node, alice, port=port):
        pass


async def test_the_live_channel_is_found_at_api_live(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    found = (await client.get("/api/live/", headers=alice.headers)).json()
    assert found == {"ws_url": f"ws://127.0.0.1:{node.games.game_port.port}/ws/",
                     "sse_path": "/sse/users/"}


@over_both_ports
async def test_shutdown_closes_the_channel_with_1001(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    async with user_socket(node, alice, port=port) as socket:
        node.shutdown()
        assert await close_code(socket) == 1001
