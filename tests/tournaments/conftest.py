"""Helpers that speak tournaments: create, join, hear events, play matches to a result."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio

from courtside.actors import Connection
from courtside.persistence.tournaments import Tournaments
from tests.accounts import Account
from tests.games.conftest import config, fast_clock, game_client, get_ready  # noqa: F401
from tests.lobbies.conftest import next_event  # noqa: F401

TOURNAMENT = "/api/play/tournament/"
# Virtual seconds: between rounds the actor writes to the database, in real time.
ROUND_WAIT = 60.0


class TournamentKilled(Exception):
    pass


@pytest.fixture
def killed_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first result to reach a tournament kills its actor at the worst moment: the
    match is recorded, the bracket has not heard of it. Later results go through.
    Holds the code of the match whose result was lost, once one is."""
    finished = Tournaments.match_finished
    killed: list[str] = []

    async def die_once(self: Tournaments, tournament_id: int, match: Any, **result: Any) -> None:
        if not killed:
            killed.append(match.match_code)
            raise TournamentKilled()
        await finished(self, tournament_id, match, **result)

    monkeypatch.setattr(Tournaments, "match_finished", die_once)
    return killed


async def create_tournament(client: httpx.AsyncClient, creator: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(TOURNAMENT, json={"name": "Cup", "size": 4, **body},
                                 headers=creator.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def join(client: httpx.AsyncClient, account: Account, code: str, **body: Any) -> httpx.Response:
    return await client.post(f"{TOURNAMENT}{code}/", json=body, headers=account.headers)


async def joined(client: httpx.AsyncClient, code: str, *accounts: Account) -> None:
    for account in accounts:
        response = await join(client, account, code)
        assert response.status_code == 201, response.text


async def forfeit_match(start: dict[str, Any], winner: Account, loser: Account) -> None:
    """Both take their seats; the loser leaves once play begins."""
    async with game_client(start["ws_url"], winner) as w, game_client(start["ws_url"], loser) as l:
        await get_ready(w, l)
        await w.until("game_state_update")
        await l.send("report_left")
        await w.until("game_ended")


async def game_start(connection: Connection) -> dict[str, Any]:
    return await next_event(connection, "game-start", wait=ROUND_WAIT)


def first_round_players(started: dict[str, Any]) -> list[int]:
    """Who plays in the first round of a drawn bracket: byes left out."""
    first = next(iter(started["matches"].values()))
    return [user_id for m in first if m["player_a"] and m["player_b"]
            for user_id in (m["player_a"], m["player_b"])]


async def play_every_round(
    started: dict[str, Any], live: dict[int, Connection], by_id: dict[int, Account]
) -> list[list[dict[str, Any]]]:
    """Play a drawn bracket to its end: in each match team b (the worse seed) forfeits.
    Returns the game-start of every match, round by round."""
    still_in = {p["id"] for p in started["participants"]}
    players = first_round_players(started)
    rounds: list[list[dict[str, Any]]] = []
    while len(still_in) > 1:
        starts = {user_id: await game_start(live[user_id]) for user_id in players}
        matches = list({start["code"]: start for start in starts.values()}.values())
        assert len(matches) == len(players) // 2
        async with trio.open_nursery() as nursery:
            for start in matches:
                a, b = start["team_a"][0], start["team_b"][0]
                nursery.start_soon(forfeit_match, start, by_id[a], by_id[b])
        still_in -= {start["team_b"][0] for start in matches}
        players = sorted(still_in)
        rounds.append(matches)
    return rounds
