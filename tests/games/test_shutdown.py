"""Shutdown as players live it: a match under way has the grace period to finish."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import trio
import trio_websocket
from trio.testing import MockClock

from courtside.persistence import Database
from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import GameClient, game_client, get_ready, queue_pair

TIMEOUT = 120.0
GRACE = 4.0  # virtual seconds; five goals take longer than that even undefended


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, shutdown_grace_seconds=GRACE)


async def defend_until_closed(game: GameClient, closes: list[tuple[int, float]]) -> None:
    """Keep the paddle on the ball until the server closes; note its close code, and when."""
    try:
        while True:
            message = await game.receive()
            if message["type"] == "game_state_update":
                ball_y = message["state"]["ball_position_y"]
                await game.send("paddle_position_update", position=ball_y - 50)
    except trio_websocket.ConnectionClosed as closed:
        closes.append((closed.reason.code, trio.current_time()))


async def recorded(database: Database, code: str) -> tuple[str, str | None]:
    while (row := await database.fetchrow(
        "SELECT reason, winning_team FROM matches WHERE code = %s", code
    )) is None:
        await trio.sleep(0.1)
    return row


async def test_a_match_ending_within_the_grace_counts_and_one_still_playing_is_aborted(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, finishing, _ = await queue_pair(client, node)
    carol, dave = await make_user(client, "carol"), await make_user(client, "dave")
    _, _, unfinished, _ = await queue_pair(client, node, players=(carol, dave))
    closes: list[tuple[int, float]] = []
    with trio.fail_after(TIMEOUT):
        async with game_client(finishing["ws_url"], alice) as a, \
                game_client(finishing["ws_url"], bob) as b, \
                game_client(unfinished["ws_url"], carol) as c, \
                game_client(unfinished["ws_url"], dave) as d:
            await get_ready(a, b, c, d)
            for game in (a, b, c, d):
                await game.until("game_state_update")
            async with trio.open_nursery() as nursery:
                for game in (c, d):
                    nursery.start_soon(defend_until_closed, game, closes)
                shutdown_at = trio.current_time()
                node.shutdown()
                await b.send("report_left")
                ended = await a.until("game_ended")
                ended_at = trio.current_time()
        assert await recorded(database, finishing["code"]) == ("forfeit", "a")
        assert await recorded(database, unfinished["code"]) == ("aborted", None)
    assert (ended["reason"], ended["winner_id"]) == ("forfeit", alice.id)
    assert ended_at - shutdown_at < GRACE
    assert len(closes) == 2
    for code, closed_at in closes:
        assert code == 1001
        assert closed_at - shutdown_at >= GRACE
