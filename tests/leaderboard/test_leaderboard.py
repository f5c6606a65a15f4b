"""The leaderboard: order, shared ranks on ties, pages, and the caller's own line."""

from __future__ import annotations

import itertools

import httpx

from courtside.http.pagination import MAX_LIMIT
from courtside.persistence import Database
from courtside.persistence.leaderboard import LEADERBOARD_MODES
from courtside.persistence.matches import FinishedMatch, MatchResults, PlayerResult
from courtside.server.node import Node
from tests.accounts import Account, make_user

_codes = itertools.count()
TROPHY_STEP = 20


async def play(database: Database, mode: str, winner: Account, loser: Account) -> None:
    """Record a finished 1v1 through the repository a match actor writes with."""
    match = FinishedMatch(
        code=f"lb{next(_codes):08d}", mode=mode, team_size=1, score_to_win=5,
        score_a=5, score_b=2, winning_team="a", reason="score", started_at=None,
        duration_seconds=30.0, seed=1, inputs=b"\x90",
        players=(PlayerResult(winner.id, "a", 0, 5, 0, True),
                 PlayerResult(loser.id, "b", 1, 2, 0, False)),
    )
    async with database.transaction() as tx:
        results = MatchResults(tx)
        changes: dict[int, tuple[int, int]] = {}
        if mode == "ranked":
            before = await results.lock_trophies((winner.id, loser.id))
            changes = {winner.id: (before[winner.id], before[winner.id] + TROPHY_STEP),
                       loser.id: (before[loser.id], before[loser.id] - TROPHY_STEP)}
        await results.record(match, changes)


def board(body: dict) -> list[tuple[int, str, int]]:
    return [(line["rank"], line["user"]["username"], line["score"]) for line in body["results"]]


async def test_ranked_board_orders_by_trophies_and_shows_my_rank(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, carol, dave = [await make_user(client, n) for n in ("alice", "bob", "carol", "dave")]
    await play(database, "ranked", alice, bob)    # alice 1020, bob 980
    await play(database, "ranked", alice, carol)  # alice 1040, carol 980
    await play(database, "duel", dave, bob)       # dave never played ranked

    response = await client.get("/api/leaderboard/?mode=ranked", headers=dave.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["mode"], body["score"], body["count"]) == ("ranked", "trophies", 3)
    # bob and carol tie on 980: one shared rank, the older account first.
    assert board(body) == [(1, "alice", 1040), (2, "bob", 980), (2, "carol", 980)]
    assert body["me"] is None

    mine = (await client.get("/api/leaderboard/", headers=carol.headers)).json()
    assert mine["mode"] == "ranked"
    assert (mine["me"]["rank"], mine["me"]["user"]["id"], mine["me"]["score"]) == (2, carol.id, 980)


async def test_wins_boards_count_wins_of_their_mode_only(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    await play(database, "duel", bob, alice)
    await play(database, "duel", bob, carol)
    await play(database, "duel", carol, alice)
    await play(database, "ranked", alice, bob)

    duel = (await client.get("/api/leaderboard/?mode=duel", headers=alice.headers)).json()
    assert (duel["score"], board(duel)) == ("wins", [(1, "bob", 2), (2, "carol", 1), (3, "alice", 0)])
    assert (duel["me"]["rank"], duel["me"]["games"], duel["me"]["wins"]) == (3, 2, 0)

    clash = (await client.get("/api/leaderboard/?mode=clash", headers=alice.headers)).json()
    assert (clash["count"], clash["results"], clash["me"]) == (0, [], None)
    tournament = (await client.get("/api/leaderboard/?mode=tournament", headers=alice.headers)).json()
    assert tournament["score"] == "tournament_wins"


async def test_board_pages_link_their_neighbours(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    players = [await make_user(client, f"player{i}") for i in range(4)]
    for winner, loser in itertools.combinations(players, 2):
        await play(database, "duel", winner, loser)  # player0: 3 wins, player1: 2, ...
    first = (await client.get("/api/leaderboard/?mode=duel&limit=2", headers=players[3].headers)).json()
    assert (first["count"], board(first)) == (4, [(1, "player0", 3), (2, "player1", 2)])
    assert first["previous"] is None
    second = (await client.get(first["next"], headers=players[3].headers)).json()
    assert board(second) == [(3, "player2", 1), (4, "player3", 0)]
    assert second["next"] is None
    assert second["me"]["rank"] == 4


async def test_bad_leaderboard_queries_are_400(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for query, field in (("mode=custom_game", "mode"), ("mode=global", "mode"),
                         (f"limit={MAX_LIMIT + 1}", "limit"), ("offset=-1", "offset")):
        response = await client.get(f"/api/leaderboard/?{query}", headers=alice.headers)
        assert response.status_code == 400, query
        assert response.json()["code"] == "invalid"
        assert field in response.json()["errors"]
    assert "custom_game" not in LEADERBOARD_MODES
    anonymous = await client.get("/api/leaderboard/")
    assert anonymous.status_code == 401
