"""Clients that break the rules are closed with the right code; the match goes on."""

from __future__ import annotations

import socket
import urllib.parse
from contextlib import AsyncExitStack

import httpx
import pytest
import trio
import trio_websocket
import wsproto
import wsproto.events
from trio.testing import MockClock

from courtside.http.lean_socket import GAME_LIMITS, LeanSocket
from courtside.protocol.game_messages import Error, WireFormat
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import GameClient, game_client, get_ready, queue_pair

TIMEOUT = 120.0


async def close_code(spectator: GameClient) -> int:
    with pytest.raises(trio_websocket.ConnectionClosed) as closed:
        while True:
            await spectator.receive()
    return closed.value.reason.code


async def playing_match(
    client: httpx.AsyncClient, node: Node, stack: AsyncExitStack
) -> tuple[dict, GameClient]:
    alice, bob, start, _ = await queue_pair(client, node)
    a = await stack.enter_async_context(game_client(start["ws_url"], alice))
    b = await stack.enter_async_context(game_client(start["ws_url"], bob))
    await get_ready(a, b)
    await a.until("game_state_update")
    return start, a


@pytest.mark.parametrize("abuse", ["oversized", "malformed", "flood", "unauthenticated"])
async def test_an_abusive_spectator_is_closed_and_the_players_play_on(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, abuse: str
) -> None:
    carol = await make_user(client, "carol")
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            start, player = await playing_match(client, node, stack)
            # A deep client queue: a client whose reader blocked on a full queue would
            # never read our close frame, and see our reset as 1006.
            async with trio_websocket.open_websocket_url(
                start["ws_url"], message_queue_size=100_000
            ) as raw:
                spectator = GameClient(raw, msgpack=False)
                if abuse == "unauthenticated":
                    await spectator.send("report_ready")
                    assert await close_code(spectator) == 4401
                else:
                    await spectator.send("authenticate", token=carol.access)
                    await spectator.until("welcome")
                    if abuse == "oversized":
                        await raw.send_message("x" * 5000)
                        assert await close_code(spectator) == 1009
                    elif abuse == "malformed":
                        await raw.send_message("{not json")
                        error = await spectator.until("error")
                        assert error["code"] == "malformed_message"
                        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                            for _ in range(20):
                                await raw.send_message('{"type": "no_such_type"}')
                            await close_code(spectator)
                        assert closed.value.reason.code == 1008
                    else:
                        with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                            for _ in range(20_000):
                                await spectator.send("ping", t=1.0)
                            await close_code(spectator)
                        assert closed.value.reason.code == 4429
            # The players never noticed.
            before = (await player.until("game_state_update"))["state"]["tick"]
            after = (await player.until("game_state_update"))["state"]["tick"]
            assert after > before


async def test_unknown_match_is_4404(fast_clock: MockClock, client: httpx.AsyncClient, node: Node) -> None:
    carol = await make_user(client, "carol")
    url = f"ws://127.0.0.1:{node.games.game_port.port}/ws/game/nosuchcode/"
    with trio.fail_after(TIMEOUT):
        async with game_client(url, carol) as game:
            assert await close_code(game) == 4404


async def test_a_second_connection_of_a_player_replaces_the_first(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, _, start, _ = await queue_pair(client, node)
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as first:
            await first.until("welcome")
            async with game_client(start["ws_url"], alice) as second:
                assert (await second.until("welcome"))["role"] == "player"
                assert await close_code(first) == 4409


async def test_a_client_that_stops_reading_is_closed_as_slow() -> None:
    """Writes never wait: past 64 KiB of backlog the socket is closed, not awaited."""
    server_side, client_side = socket.socketpair()
    for sock in (server_side, client_side):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_side.setblocking(False)
    game = LeanSocket(server_side, wire=WireFormat.JSON)
    message = Error(code="x", detail="y" * 1000)
    sent = 0
    with trio.fail_after(5):
        while not game.closed:
            game.send(message)  # returns at once, whatever the client does
            sent += 1
            assert sent < 10 * GAME_LIMITS.max_backlog_bytes // 1000
    assert game.close_code == 1008
    server_side.close()
    client_side.close()


async def test_a_spectator_that_stops_reading_is_closed_and_the_players_play_on(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    carol = await make_user(client, "carol")
    url = urllib.parse.urlsplit(start["ws_url"])
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as a, \
                game_client(start["ws_url"], bob) as b, trio.open_nursery() as nursery:
            await get_ready(a, b)
            nursery.start_soon(_read_forever, b)
            # A raw spectator with a tiny receive window that never reads after the upgrade.
            stalled = trio.socket.socket()
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            await stalled.connect((url.hostname, url.port))
            ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
            await stalled.send(ws.send(wsproto.events.Request(
                host=url.netloc, target=url.path,
                extra_headers=[(b"cookie", f"access={carol.access}".encode())],
            )))
            # The players get every state while the spectator's buffers fill, and after.
            ticks = [(await a.until("game_state_update"))["state"]["tick"] for _ in range(240)]
            assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))
            # What its buffers held comes out, then our close.
            events = []
            while data := await stalled.recv(65536):
                ws.receive_data(data)
                events.extend(ws.events())
            stalled.close()
            # Whole frames, then the close: never a frame cut short by it.
            *states, last = events[1:]
            assert all(isinstance(e, wsproto.events.TextMessage) for e in states)
            assert states and isinstance(last, wsproto.events.CloseConnection)
            assert (last.code, last.reason) == (1008, "slow consumer")
            nursery.cancel_scope.cancel()


async def _read_forever(game: GameClient) -> None:
    while True:
        await game.receive()
