"""Leaderboards: who leads each mode, ranked by trophies or by wins (DESIGN.md §8)."""

from __future__ import annotations

import msgspec

from .database import Executor

# What each board sorts by: trophies for ranked, match wins for the casual modes,
# tournaments won for tournaments (a tournament's match wins say less than its title).
LEADERBOARD_SCORES = {
    "ranked": "u.trophies",
    "duel": "s.wins",
    "clash": "s.wins",
    "tournament": "s.tournament_wins",
}
LEADERBOARD_MODES = tuple(LEADERBOARD_SCORES)


class Standing(msgspec.Struct, frozen=True):
    rank: int
    user_id: int
    username: str
    nickname: str
    avatar: str | None
    score: int
    games: int
    wins: int


class Leaderboard:
    """One board per mode: everyone who played the mode, best first.

    Equal scores share a rank (1, 2, 2, 4); among them the earlier account comes
    first, so that pages never shuffle between two reads.
    """

    def __init__(self, db: Executor) -> None:
        self._db = db

    def _board(self, mode: str) -> str:
        score = LEADERBOARD_SCORES[mode]
        return (
            "SELECT rank() OVER (ORDER BY {score} DESC)::int AS rank, u.id AS user_id,"
            " u.username, u.nickname, u.avatar, {score} AS score, s.games, s.wins"
            " FROM user_stats s JOIN users u ON u.id = s.user_id"
            " WHERE s.mode = %s AND (s.games > 0 OR s.tournament_wins > 0) AND u.deleted_at IS NULL"
        ).format(score=score)

    async def page(self, mode: str, *, limit: int, offset: int) -> tuple[int, list[Standing]]:
        count = await self._db.fetchval(
            "SELECT count(*) FROM user_stats s JOIN users u ON u.id = s.user_id"
            " WHERE s.mode = %s AND (s.games > 0 OR s.tournament_wins > 0) AND u.deleted_at IS NULL",
            mode,
        )
        rows = await self._db.fetch(
            f"SELECT * FROM ({self._board(mode)}) board"
            " ORDER BY rank, user_id LIMIT %s OFFSET %s",
            mode, limit, offset, into=Standing,
        )
        return count, rows

    async def standing(self, mode: str, user_id: int) -> Standing | None:
        """The user's own line, or None when they never played the mode."""
        return await self._db.fetchrow(
            f"SELECT * FROM ({self._board(mode)}) board WHERE user_id = %s",
            mode, user_id, into=Standing,
        )
