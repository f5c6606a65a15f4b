"""Leaderboards: who leads each mode, ranked by trophies or by wins (DESIGN.md §8)."""

from __future__ import annotations

import msgspec

from .database import Executor

# The figure each board sorts by, keyed by the name clients see it under: trophies
# for ranked, match wins for the casual modes, tournaments won for tournaments (a
# tournament's match wins say less than its title).
LEADERBOARD_FIGURES = {
    "ranked": ("trophies", "u.trophies"),
    "duel": ("wins", "s.wins"),
    "clash": ("wins", "s.wins"),
    "tournament": ("tournament_wins", "s.tournament_wins"),
}
LEADERBOARD_MODES = tuple(LEADERBOARD_FIGURES)

_ON_BOARD = (
    " FROM user_stats s JOIN users u ON u.id = s.user_id"
    " WHERE s.mode = %s AND (s.games > 0 OR s.tournament_wins > 0) AND u.deleted_at IS NULL"
)


class Standing(msgspec.Struct, frozen=True):
    rank: int
    user_id: int
    username: str
    nickname: str
    avatar: str | None
    score: int  # the board's figure: LEADERBOARD_FIGURES names it
    games: int
    wins: int


class Leaderboard:
    """One board per mode: everyone who played the mode, best first.

    Every line has a rank of its own, the same on every read: the higher figure
    first; on equal figures, fewer games played of the mode (the same figure
    reached sooner); then the older account. Pages, the caller's own line and the
    window around them all rank by this one order.
    """

    def __init__(self, db: Executor) -> None:
        self._db = db

    def _board(self, mode: str) -> str:
        _, figure = LEADERBOARD_FIGURES[mode]
        return (
            f"SELECT row_number() OVER (ORDER BY {figure} DESC, s.games, u.id)::int AS rank,"
            f" u.id AS user_id, u.username, u.nickname, u.avatar, {figure} AS score,"
            f" s.games, s.wins{_ON_BOARD}"
        )

    async def count(self, mode: str) -> int:
        return await self._db.fetchval(f"SELECT count(*){_ON_BOARD}", mode)

    async def page(self, mode: str, *, limit: int, offset: int) -> list[Standing]:
        return await self._db.fetch(
            f"SELECT * FROM ({self._board(mode)}) board ORDER BY rank LIMIT %s OFFSET %s",
            mode, limit, offset, into=Standing,
        )

    async def standing(self, mode: str, user_id: int) -> Standing | None:
        """The user's own line, or None when they never played the mode."""
        return await self._db.fetchrow(
            f"SELECT * FROM ({self._board(mode)}) board WHERE user_id = %s",
            mode, user_id, into=Standing,
        )
