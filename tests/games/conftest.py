"""Matches over real sockets, on a clock that runs faster than real time.

An autojump clock would leap to the next timer whenever every task waits,
including while a database query runs in a worker thread, firing timeouts that
real time never would. A MockClock at ``rate`` times real time keeps causality
and turns a 10 s grace window into a fraction of a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
import trio
import trio_websocket
from trio.testing import MockClock

from courtside.actors import Connection
from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import Account, make_user

CLOCK_RATE = 8.0
EVENT_WAIT = 5.0
PAIRING_WAIT = 60.0  # the matchmaker pairs once a second, then starts the match


@pytest.fixture
def fast_clock() -> MockClock:
    return MockClock(rate=CLOCK_RATE)


@pytest.fixture
def config(config: Config) -> Config:
    # Seats wait long on this fast clock: sign-ups before a match connects take real time.
    return dataclasses.replace(config, seat_timeout_seconds=25.0, ready_timeout_seconds=30.0,
                               grace_seconds=10.0)


class GameClient:
    """A browser's side of /ws/game/<code>/, speaking JSON or MessagePack."""

    def __init__(self, socket: trio_websocket.WebSocketConnection, msgpack: bool) -> None:
        self.socket = socket
        self._msgpack = msgpack

    async def send(self, type_: str, **fields: object) -> None:
        message = {"type": type_, **fields}
        if self._msgpack:
            await self.socket.send_message(msgspec.msgpack.encode(message))
        else:
            await self.socket.send_message(msgspec.json.encode(message).decode())

    async def receive(self) -> dict:
        raw = await self.socket.get_message()
        return msgspec.msgpack.decode(raw) if self._msgpack else msgspec.json.decode(raw)

    async def until(self, type_: str) -> dict:
        """Skip other messages up to the next one of ``type_``."""
        while (message := await self.receive())["type"] != type_:
            pass
        return message


async def get_ready(*games: GameClient) -> None:
    """Each player takes its seat and reports ready; the match then counts down."""
    for game in games:
        await game.until("welcome")
        await game.send("report_ready")


@asynccontextmanager
async def game_client(
    ws_url: str, account: Account, *, cookie: bool = False, msgpack: bool = False
) -> AsyncIterator[GameClient]:
    headers = [("Cookie", f"access={account.access}")] if cookie else []
    async with trio_websocket.open_websocket_url(
        ws_url, extra_headers=headers,
        subprotocols=["courtside.msgpack"] if msgpack else None,
    ) as socket:
        client = GameClient(socket, msgpack)
        if not cookie:
            await client.send("authenticate", token=account.access)
        yield client


@asynccontextmanager
async def playing(start: dict, first: Account, second: Account) -> AsyncIterator[tuple[GameClient, GameClient]]:
    """Both players of ``start``'s match seated and ready, the first state received."""
    async with game_client(start["ws_url"], first) as one, game_client(start["ws_url"], second) as two:
        await get_ready(one, two)
        await one.until("game_state_update")
        yield one, two


async def queue_pair(
    client: httpx.AsyncClient,
    node: Node,
    mode: str = "duel",
    players: tuple[Account, Account] | None = None,
) -> tuple[Account, Account, dict, dict]:
    """Two players (new ones by default) queue for ``mode``; the first queued is the
    initiator. Returns them and their game-start events."""
    if players is None:
        players = (await make_user(client, "alice"), await make_user(client, "bob"))
    alice, bob = players
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live, bus.connect(bob.id) as bob_live:
        for player in (alice, bob):
            response = await client.post(f"/api/play/{mode}/", headers=player.headers)
            assert response.status_code == 201, response.text
        alice_start = await next_event(alice_live, "game-start", wait=PAIRING_WAIT)
        bob_start = await next_event(bob_live, "game-start", wait=PAIRING_WAIT)
    return alice, bob, alice_start, bob_start


async def next_event(connection: Connection, name: str, *, wait: float = EVENT_WAIT) -> dict[str, Any]:
    """The next event called ``name``, past others (presence of friends, say); its data
    with its kwargs."""
    with trio.fail_after(wait):
        while (event := await connection.events.receive()).name != name:
            pass
    return {**event.data, **event.kwargs}


async def forfeited_match(
    client: httpx.AsyncClient, node: Node, winner: Account, loser: Account, mode: str = "duel"
) -> str:
    """A match the loser leaves right after it starts; returns its code once recorded."""
    _, _, start, _ = await queue_pair(client, node, mode, (winner, loser))
    async with game_client(start["ws_url"], winner) as w, game_client(start["ws_url"], loser) as l:
        await get_ready(w, l)
        await w.until("game_state_update")
        await l.send("report_left")
        await w.until("game_ended")
    await until_recorded(node, start["code"])
    return start["code"]


async def until_recorded(node: Node, code: str) -> None:
    """Players hear game_ended before the record is written: wait for the record."""
    while await node.database.fetchval("SELECT count(*) FROM matches WHERE code = %s", code) == 0:
        await trio.sleep(0.1)
