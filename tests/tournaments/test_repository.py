"""The tournament tables hold all a restarted actor needs: people, bracket, results."""

from __future__ import annotations

import pytest

from courtside.actors.bracket import first_round, rounds_for
from courtside.persistence import Database, Users
from courtside.persistence.leaderboard import Leaderboard
from courtside.persistence.tournaments import AlreadyHosting, AliasTaken, Tournaments


async def _users(database: Database, count: int) -> list[int]:
    users = Users(database)
    return [(await users.create(username=f"player{i}", nickname=f"P{i}")).id for i in range(count)]


async def test_a_five_player_tournament_is_stored_from_creation_to_its_winner(database: Database) -> None:
    ids = await _users(database, 6)
    async with database.transaction() as tx:
        row = await Tournaments(tx).create(code="cup0000001", name="Spring cup", size=8,
                                           private=False, creator_id=ids[0], alias="Ace")
    tournaments = Tournaments(database)
    for user_id in ids[1:5]:
        await tournaments.join(row.id, user_id, f"alias{user_id}")
    with pytest.raises(AliasTaken):
        await tournaments.join(row.id, ids[5], "ACE")  # aliases are unique, in any case
    with pytest.raises(AlreadyHosting):
        async with database.transaction() as tx:
            await Tournaments(tx).create(code="cup0000002", name="Again", size=4,
                                         private=False, creator_id=ids[0], alias="Ace")
    assert [p.user_id for p in await tournaments.participants(row.id)] == ids[:5]
    assert (await tournaments.search("spring", limit=10, offset=0))[1][0].n_participants == 5

    async with database.transaction() as tx:
        await Tournaments(tx).start(row.id, {u: i + 1 for i, u in enumerate(ids[:5])},
                                    first_round(ids[:5]), rounds_for(5))
    bracket = await tournaments.bracket(row.id)
    assert [(m.round, m.position) for m in bracket] == [(1, 0), (1, 1), (1, 2), (1, 3),
                                                        (2, 0), (2, 1), (3, 0)]
    assert [m.winner_id for m in bracket[:4]] == [ids[0], None, ids[1], ids[2]]
    assert bracket[0].reason == "bye"
    # The byes' winners already wait in round two: seeds 2 and 3 meet there.
    assert [(m.player_a, m.player_b) for m in bracket[4:6]] == [(ids[0], None), (ids[1], ids[2])]
    assert await tournaments.current_of(ids[4]) == "cup0000001"
    assert (await tournaments.search("spring", limit=10, offset=0))[0] == 0  # no longer open

    async with database.transaction() as tx:
        repo = Tournaments(tx)
        await repo.match_finished(row.id, bracket[1], winner_id=ids[3], loser_id=ids[4],
                                  score_a=5, score_b=3, reason="score")
        await repo.finish(row.id, ids[3])
    assert await tournaments.current_of(ids[4]) is None
    finished = await tournaments.get("cup0000001")
    assert (finished.status, finished.winner_id) == ("finished", ids[3])
    count, history = await tournaments.history(ids[4], limit=10, offset=0)
    assert (count, history[0].eliminated_in, history[0].won) == (1, 1, False)
    assert (await tournaments.history(ids[3], limit=10, offset=0))[1][0].won
    board = await Leaderboard(database).standing("tournament", ids[3])
    assert board is not None and (board.rank, board.score) == (1, 1)
