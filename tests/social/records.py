"""Arrange the social graph's surroundings straight in the database: people, match records."""

from __future__ import annotations

import uuid

from courtside.persistence import Database, Users
from courtside.persistence.matches import FinishedMatch, MatchResults, PlayerResult


async def stored_user(database: Database, username: str, *, is_guest: bool = False) -> int:
    """A user who never logs in: a target to request, befriend or block."""
    user = await Users(database).create(username=username, nickname=username, is_guest=is_guest)
    return user.id


async def recorded_match(
    database: Database, team_a: list[int], team_b: list[int], winning_team: str | None
) -> None:
    """A finished duel (or clash, three a side) as the match engine records it."""
    size = len(team_a)
    players = tuple(
        PlayerResult(user_id, team, slot, goals=0, own_goals=0,
                     won=None if winning_team is None else team == winning_team)
        for team, members in (("a", team_a), ("b", team_b))
        for slot, user_id in enumerate(members)
    )
    match = FinishedMatch(
        code=uuid.uuid4().hex[:10], mode="duel" if size == 1 else "clash", team_size=size,
        score_to_win=5, score_a=5 if winning_team == "a" else 0,
        score_b=5 if winning_team == "b" else 0, winning_team=winning_team,
        reason="aborted" if winning_team is None else "score", started_at=None,
        duration_seconds=60.0, players=players, seed=1, inputs=b"",
    )
    async with database.transaction() as tx:
        await MatchResults(tx).record(match, {})
