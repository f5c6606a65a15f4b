"""The leaderboard: order, ties broken by games played, pages, and the caller's own line."""

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
    """(rank, username, the figure the board ranks by) per line."""
    figure = body["ranked_by"]
    return [(line["rank"], line["user"]["username"], line[figure]) for line in body["results"]]


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
    assert (body["mode"], body["ranked_by"], body["count"]) == ("ranked", "trophies", 3)
    # bob and carol tie on 980 after one game each: the older account ranks first.
    assert board(body) == [(1, "alice", 1040), (2, "bob", 980), (3, "carol", 980)]
    assert "score" not in body["results"][0]
    assert body["me"] is None

    mine = (await client.get("/api/leaderboard/", headers=carol.headers)).json()
    assert mine["mode"] == "ranked"
    assert (mine["me"]["rank"], mine["me"]["user"]["id"], mine["me"]["trophies"]) == (3, carol.id, 980)


async def test_equal_figures_rank_fewer_games_first_on_every_read(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, carol, dave = [await make_user(client, n) for n in ("alice", "bob", "carol", "dave")]
    await play(database, "duel", alice, bob)
    await play(database, "duel", bob, alice)
    await play(database, "duel", dave, carol)  # dave: one win in one game; alice, bob: 1 in 2

    duel = (await client.get("/api/leaderboard/?mode=duel", headers=bob.headers)).json()
    assert board(duel) == [(1, "dave", 1), (2, "alice", 1), (3, "bob", 1), (4, "carol", 0)]
    # The caller's line, a page and the window around the caller agree on every rank.
    assert duel["me"]["rank"] == 3
    second_page = (await client.get("/api/leaderboard/?mode=duel&limit=2&offset=2",
                                    headers=bob.headers)).json()
    assert board(second_page) == [(3, "bob", 1), (4, "carol", 0)]
    around = (await client.get("/api/leaderboard/?mode=duel&around=me&limit=1",
                               headers=bob.headers)).json()
    assert board(around) == [(3, "bob", 1)]


async def test_wins_boards_count_wins_of_their_mode_only(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    await play(database, "duel", bob, alice)
    await play(database, "duel", bob, carol)
    await play(database, "duel", carol, alice)
    await play(database, "ranked", alice, bob)

    duel = (await client.get("/api/leaderboard/?mode=duel", headers=alice.headers)).json()
    assert (duel["ranked_by"], board(duel)) == ("wins", [(1, "bob", 2), (2, "carol", 1), (3, "alice", 0)])
    assert (duel["me"]["rank"], duel["me"]["games"], duel["me"]["wins"]) == (3, 2, 0)
    assert "trophies" not in duel["me"] and "tournament_wins" not in duel["me"]

    clash = (await client.get("/api/leaderboard/?mode=clash", headers=alice.headers)).json()
    assert (clash["count"], clash["results"], clash["me"]) == (0, [], None)
    tournament = (await client.get("/api/leaderboard/?mode=tournament", headers=alice.headers)).json()
    assert tournament["ranked_by"] == "tournament_wins"


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


async def test_around_me_centres_the_page_on_the_callers_line(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    players = [await make_user(client, f"player{i}") for i in range(7)]
    for winner, loser in itertools.combinations(players, 2):
        await play(database, "duel", winner, loser)  # player0: 6 wins, player1: 5, ...
    newcomer = await make_user(client, "newcomer")

    def around(limit: int) -> str:
        return f"/api/leaderboard/?mode=duel&around=me&limit={limit}"

    middle = (await client.get(around(3), headers=players[3].headers)).json()
    assert board(middle) == [(3, "player2", 4), (4, "player3", 3), (5, "player4", 2)]
    assert middle["me"]["rank"] == 4
    # Its neighbours are plain pages of the board.
    assert middle["previous"] is not None and "around" not in middle["previous"]
    before = (await client.get(middle["previous"], headers=players[3].headers)).json()
    assert board(before) == [(1, "player0", 6), (2, "player1", 5), (3, "player2", 4)]
    after = (await client.get(middle["next"], headers=players[3].headers)).json()
    assert board(after) == [(6, "player5", 1), (7, "player6", 0)]

    # Near an end the window stays full, inside the board.
    top = (await client.get(around(3), headers=players[0].headers)).json()
    assert [rank for rank, _, _ in board(top)] == [1, 2, 3]
    bottom = (await client.get(around(4), headers=players[6].headers)).json()
    assert [rank for rank, _, _ in board(bottom)] == [4, 5, 6, 7]
    # Someone with no line yet sees the top of the board, and no line of their own.
    unranked = (await client.get(around(2), headers=newcomer.headers)).json()
    assert (board(unranked), unranked["me"]) == ([(1, "player0", 6), (2, "player1", 5)], None)


async def test_bad_leaderboard_queries_are_400(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for query, field in (("mode=custom_game", "mode"), ("mode=global", "mode"),
                         (f"limit={MAX_LIMIT + 1}", "limit"), ("offset=-1", "offset"),
                         ("around=you", "around"), ("around=", "around")):
        response = await client.get(f"/api/leaderboard/?{query}", headers=alice.headers)
        assert response.status_code == 400, query
        assert response.json()["code"] == "invalid"
        assert field in response.json()["errors"]
    every_field = await client.get("/api/leaderboard/?mode=chess&around=you&limit=0",
                                   headers=alice.headers)
    assert set(every_field.json()["errors"]) == {"mode", "around", "limit"}
    assert "custom_game" not in LEADERBOARD_MODES
    anonymous = await client.get("/api/leaderboard/")
    assert anonymous.status_code == 401
