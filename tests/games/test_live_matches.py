"""GET /api/game/live/ as spectators see it through a match's life."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import game_client, get_ready, queue_pair

TIMEOUT = 120.0


async def test_a_playing_match_is_listed_until_it_ends(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    carol = await make_user(client, "carol")
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
            await get_ready(a, b)
            await a.until("game_state_update")
            playing = (await client.get("/api/game/live/", headers=carol.headers)).json()
            await b.send("report_left")
            await a.until("game_ended")
        ended = (await client.get("/api/game/live/", headers=carol.headers)).json()
    [match] = playing["results"]
    assert (match["code"], match["phase"]) == (start["code"], "playing")
    assert (ended["count"], ended["results"]) == (0, [])
