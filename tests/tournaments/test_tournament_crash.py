"""A tournament actor that dies mid-round: its supervisor restarts it, and the new
incarnation reads the lost result back from the match's own record."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import create_tournament, joined, next_event, play_every_round

TIMEOUT = 300.0  # virtual seconds


async def test_a_tournament_killed_as_a_result_comes_in_resumes_with_that_result(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, killed_once: list[str]
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    by_id = {p.id: p for p in players}
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players}
            cup = await create_tournament(client, players[0])
            await joined(client, cup["code"], *players[1:])
            started = await next_event(live[players[3].id], "tournament-start")
            rounds = await play_every_round(started, live, by_id)
            done = await next_event(live[players[3].id], "tournament-finish")
    assert killed_once and killed_once[0] in {start["code"] for start in rounds[0]}
    assert node.services.supervisor.restarts == 1
    assert done["username"] == "alice"

    record = (await client.get(f"/api/game/tournaments/{cup['id']}/", headers=players[0].headers)).json()
    assert (record["status"], record["winner_id"]) == ("finished", players[0].id)
    lost = next(m for m in record["matches"]["semi-final"] if m["code"] == killed_once[0])
    assert (lost["finish_reason"], lost["winner_id"]) == ("forfeit", lost["player_a"])
    stats = (await client.get(f"/api/users/{players[0].id}/stats/", headers=players[0].headers)).json()
    assert {line["game_mode"]: line.get("tournament_wins") for line in stats}["tournament"] == 1
