"""Whole tournaments played over real sockets, from the join to the winner's record."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import TOURNAMENT, create_tournament, forfeit_match, game_start, join, next_event

TIMEOUT = 300.0  # virtual seconds


async def test_a_four_player_tournament_is_played_to_its_winner(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    by_id = {p.id: p for p in players}
    bus = node.services.bus
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(bus.connect(p.id)) for p in players}
            cup = await create_tournament(client, players[0], alias="Queen")
            assert (cup["size"], cup["is_started"], cup["participants"][0]["alias"]) == (4, False, "Queen")
            for p in players[1:]:
                response = await join(client, p, cup["code"])
                assert response.status_code == 201, response.text
            joined = await next_event(live[players[0].id], "tournament-join")
            assert joined["username"] == "bob"
            started = await next_event(live[players[1].id], "tournament-start")
            assert list(started["matches"]) == ["semi-final", "final"]

            starts = {p.id: await game_start(live[p.id]) for p in players}
            semis = {s["code"]: s for s in starts.values()}
            assert len(semis) == 2
            async with trio.open_nursery() as nursery:
                for start in semis.values():
                    a, b = start["team_a"][0], start["team_b"][0]
                    nursery.start_soon(forfeit_match, start, by_id[a], by_id[b])
            finalists = [s["team_a"][0] for s in semis.values()]
            final = await game_start(live[finalists[0]])
            assert sorted(final["team_a"] + final["team_b"]) == sorted(finalists)
            out = [s["team_b"][0] for s in semis.values()]
            # The first offer may be the other semi-final, still under way then.
            while final["code"] not in (
                spectate := await next_event(live[out[0]], "tournament-available-spectate-matches")
            ):
                assert set(spectate) <= set(semis)
            await forfeit_match(final, by_id[final["team_a"][0]], by_id[final["team_b"][0]])
            finished = await next_event(live[players[0].id], "tournament-finish")
    champion = by_id[final["team_a"][0]]
    assert finished["username"] == champion.username

    record = (await client.get(f"/api/game/tournaments/{cup['id']}/", headers=players[0].headers)).json()
    assert (record["status"], record["winner_id"]) == ("finished", champion.id)
    assert [m["finish_reason"] for m in record["matches"]["semi-final"]] == ["forfeit", "forfeit"]
    history = (await client.get(f"/api/users/{champion.id}/tournaments/", headers=players[0].headers)).json()
    assert (history["count"], history["results"][0]["won"]) == (1, True)
    board = (await client.get("/api/leaderboard/?mode=tournament", headers=champion.headers)).json()
    assert (board["me"]["rank"], board["me"]["score"]) == (1, 1)
    assert (await client.get(TOURNAMENT, headers=champion.headers)).status_code == 404
