"""One match failing, or the server stopping, as players live it."""

from __future__ import annotations

import httpx
import pytest
import trio
import trio_websocket
from trio.testing import MockClock

from courtside.actors import physics
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import game_client, get_ready, queue_pair

TIMEOUT = 120.0
POISON = 123.456


async def test_a_match_whose_tick_raises_is_aborted_and_the_other_plays_on(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = physics.step

    def step(state, inputs):  # type: ignore[no-untyped-def]
        if POISON in inputs:
            raise ZeroDivisionError("a bug in physics")
        return real_step(state, inputs)

    monkeypatch.setattr(physics, "step", step)
    alice, bob, doomed, _ = await queue_pair(client, node)
    carol, dave = await make_user(client, "carol"), await make_user(client, "dave")
    _, _, healthy, _ = await queue_pair(client, node, players=(carol, dave))
    with trio.fail_after(TIMEOUT):
        async with game_client(doomed["ws_url"], alice) as a, \
                game_client(doomed["ws_url"], bob) as b, \
                game_client(healthy["ws_url"], carol) as c, \
                game_client(healthy["ws_url"], dave) as d:
            await get_ready(a, b, c, d)
            await a.until("game_state_update")
            await c.until("game_state_update")
            await a.send("paddle_position_update", position=POISON)
            ended = await b.until("game_ended")
            before = (await c.until("game_state_update"))["state"]["tick"]
            for _ in range(40):
                after = (await c.until("game_state_update"))["state"]["tick"]
            await d.until("game_state_update")
    assert (ended["reason"], ended["winner_id"]) == ("aborted", None)
    assert after >= before + 40
    while (reason := await node.database.fetchval(
        "SELECT reason FROM matches WHERE code = %s", doomed["code"]
    )) is None:
        await trio.sleep(0.1)
    assert reason == "aborted"


async def test_shutdown_closes_game_sockets_with_1001(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, _, start, _ = await queue_pair(client, node)
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as a:
            await a.until("welcome")
            node.shutdown()
            with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                while True:
                    await a.receive()
    assert closed.value.reason.code == 1001


async def test_metrics_show_live_matches_and_tick_lateness(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
            await get_ready(a, b)
            await a.until("game_state_update")
            text = (await client.get("/metrics")).text
    assert "courtside_live_matches 1.0" in text
    assert "courtside_game_sockets 2.0" in text
    assert 'courtside_actors{kind="match"} 1.0' in text
    count = next(line for line in text.splitlines()
                 if line.startswith("courtside_tick_lateness_seconds_count"))
    assert float(count.split()[-1]) > 0
