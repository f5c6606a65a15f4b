"""Whole tournaments played over real sockets, from the join to the winner's record."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import trio
from trio.testing import MockClock

from courtside.actors import Connection
from courtside.actors.tournament_messages import TournamentTiming
from courtside.server.node import Node
from tests.accounts import Account, make_user

from .conftest import (
    TOURNAMENT,
    create_tournament,
    forfeit_match,
    game_start,
    join,
    joined,
    next_event,
    play_every_round,
)

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
    assert (board["me"]["rank"], board["me"]["tournament_wins"]) == (1, 1)
    assert (await client.get(TOURNAMENT, headers=champion.headers)).status_code == 404
    # Finished, it is still found by its code, from its rows.
    by_code = (await client.get(f"{TOURNAMENT}{cup['code']}/", headers=champion.headers)).json()
    assert (by_code["status"], by_code["winner_id"]) == ("finished", champion.id)
    assert by_code["matches"] == record["matches"]
    queen = by_code["participants"][0]
    assert (queen["id"], queen["alias"], queen["creator"]) == (players[0].id, "Queen", True)


async def finishes_heard(connection: Connection) -> list[dict[str, Any]]:
    """Every tournament-match-finish up to the tournament-finish, which ends the list."""
    heard = []
    with trio.fail_after(TIMEOUT):
        while (event := await connection.events.receive()).name != "tournament-finish":
            if event.name == "tournament-match-finish":
                heard.append({**event.data, **event.kwargs})
    return heard


async def check_the_records(
    client: httpx.AsyncClient, cup: dict[str, Any], champion: Account, runner_up: Account,
    first_out: Account,
) -> dict[str, Any]:
    """The tournament's record, each player's history and stats, the leaderboard."""
    record = (await client.get(f"/api/game/tournaments/{cup['id']}/", headers=first_out.headers)).json()
    assert (record["status"], record["winner_id"]) == ("finished", champion.id)

    async def history(account: Account) -> dict[str, Any]:
        page = (await client.get(f"/api/users/{account.id}/tournaments/", headers=first_out.headers)).json()
        assert page["count"] == 1
        return page["results"][0]

    won, second, out = await history(champion), await history(runner_up), await history(first_out)
    assert (won["code"], won["status"], won["won"], won["eliminated_in"], won["seed"]) == (
        cup["code"], "finished", True, None, 1)
    assert (second["won"], second["eliminated_in"]) == (False, len(record["matches"]))
    assert (out["won"], out["eliminated_in"]) == (False, 1)

    async def tournament_wins(account: Account) -> int:
        stats = (await client.get(f"/api/users/{account.id}/stats/", headers=first_out.headers)).json()
        return {line["game_mode"]: line for line in stats}["tournament"]["tournament_wins"]

    assert await tournament_wins(champion) == 1
    assert await tournament_wins(runner_up) == 0
    board = (await client.get("/api/leaderboard/?mode=tournament", headers=first_out.headers)).json()
    assert [(line["user"]["id"], line["tournament_wins"]) for line in board["results"]][:1] == [
        (champion.id, 1)]
    assert (await client.get(TOURNAMENT, headers=champion.headers)).status_code == 404
    return record


async def test_an_eight_player_tournament_plays_three_rounds_and_the_top_seed_wins(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, f"player{i}") for i in range(8)]
    by_id = {p.id: p for p in players}
    seed = {i + 1: p.id for i, p in enumerate(players)}  # equal trophies: seeded by arrival
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players}
            cup = await create_tournament(client, players[0], size=8)
            await joined(client, cup["code"], *players[1:])  # full: it starts at once
            started = await next_event(live[players[7].id], "tournament-start")
            assert list(started["matches"]) == ["quarter-final", "semi-final", "final"]
            quarters = started["matches"]["quarter-final"]
            assert [(m["player_a"], m["player_b"]) for m in quarters] == [
                (seed[1], seed[8]), (seed[4], seed[5]), (seed[2], seed[7]), (seed[3], seed[6])]
            rounds = await play_every_round(started, live, by_id)
            heard = await finishes_heard(live[seed[8]])
    assert [len(matches) for matches in rounds] == [4, 2, 1]
    assert (rounds[-1][0]["team_a"], rounds[-1][0]["team_b"]) == ([seed[1]], [seed[2]])
    assert len(heard) == 7 and {h["finish_reason"] for h in heard} == {"forfeit"}
    assert {(h["winner"], h["looser"]) for h in heard} >= {
        ("player0", "player7"), ("player0", "player3"), ("player0", "player1")}
    assert heard[-1]["status"] == "finished" and heard[-1]["winner_id"] == seed[1]

    record = await check_the_records(client, cup, by_id[seed[1]], by_id[seed[2]], by_id[seed[8]])
    assert [len(record["matches"][name]) for name in ("quarter-final", "semi-final", "final")] == [4, 2, 1]


async def test_seven_players_start_on_the_countdown_and_the_top_seed_has_a_bye(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    """80 % of eight is the fewest an eight-place tournament starts with: an odd count."""
    players = [await make_user(client, f"player{i}") for i in range(7)]
    by_id = {p.id: p for p in players}
    seed = {i + 1: p.id for i, p in enumerate(players)}
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players}
            cup = await create_tournament(client, players[0], size=8, alias="Host")
            await joined(client, cup["code"], *players[1:])
            await next_event(live[seed[7]], "tournament-start-at")
            said = await client.post(f"{TOURNAMENT}{cup['code']}/message/", json={"content": "good luck"},
                                     headers=players[0].headers)
            assert said.status_code == 201
            heard = await next_event(live[seed[7]], "tournament-message")
            assert (heard["alias"], heard["content"], heard["username"]) == ("Host", "good luck", "player0")
            fast_clock.jump(TournamentTiming().countdown)
            started = await next_event(live[seed[7]], "tournament-start")
            quarters = started["matches"]["quarter-final"]
            assert [(m["player_a"], m["player_b"]) for m in quarters] == [
                (seed[1], None), (seed[4], seed[5]), (seed[2], seed[7]), (seed[3], seed[6])]
            assert (quarters[0]["winner_id"], quarters[0]["finish_reason"]) == (seed[1], "bye")
            rounds = await play_every_round(started, live, by_id)
            finished = await next_event(live[seed[7]], "tournament-finish", wait=TIMEOUT)
    assert [len(matches) for matches in rounds] == [3, 2, 1]
    # The bye's winner plays the second round as anyone else.
    assert (rounds[1][0]["team_a"], rounds[1][0]["team_b"]) == ([seed[1]], [seed[4]])
    assert finished["username"] == "player0"
    record = await check_the_records(client, cup, by_id[seed[1]], by_id[seed[2]], by_id[seed[7]])
    assert [m["finish_reason"] for m in record["matches"]["quarter-final"]] == [
        "bye", "forfeit", "forfeit", "forfeit"]
