"""A player who wins a round is still in the tournament until their next match."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import create_tournament, forfeit_match, game_start, joined, next_event

TIMEOUT = 300.0  # virtual seconds


async def test_a_semi_final_winner_cannot_open_a_lobby_while_waiting_for_the_final(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    by_id = {p.id: p for p in players}
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id))
                    for p in players}
            cup = await create_tournament(client, players[0])
            await joined(client, cup["code"], *players[1:])
            first_semi = await game_start(live[players[0].id])
            winner, loser = by_id[first_semi["team_a"][0]], by_id[first_semi["team_b"][0]]
            await forfeit_match(first_semi, winner, loser)
            await next_event(live[winner.id], "tournament-match-finish")
            lobby = await client.post("/api/play/lobby/", json={"game_mode": "custom_game"},
                                      headers=winner.headers)
            queued = await client.post("/api/play/lobby/", json={"game_mode": "custom_game"},
                                       headers=loser.headers)
    assert (lobby.status_code, lobby.json()["code"]) == (409, "already_engaged"), lobby.text
    assert queued.status_code == 201, queued.text  # the one knocked out is free
