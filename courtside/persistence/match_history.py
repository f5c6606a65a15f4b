"""Reading finished matches back: records, a user's history, stats, trophies, replays."""

from __future__ import annotations

from datetime import datetime

import msgspec

from .database import Executor


class PlayerLine(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    nickname: str
    team: str
    slot: int
    goals: int
    own_goals: int
    trophies_before: int | None
    trophies_after: int | None


class MatchLine(msgspec.Struct, frozen=True):
    id: int
    code: str
    game_mode: str
    team_size: int
    score_to_win: int
    score_a: int
    score_b: int
    winning_team: str | None
    reason: str
    started_at: datetime | None
    ended_at: datetime
    duration: float


class PlayerName(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    nickname: str


class StatsLine(msgspec.Struct, frozen=True):
    mode: str
    games: int
    wins: int
    losses: int
    goals_scored: int
    goals_conceded: int
    own_goals: int
    current_win_streak: int
    best_win_streak: int
    tournament_wins: int


class Rival(msgspec.Struct, frozen=True):
    mode: str  # 'global' for every mode together
    user_id: int
    username: str
    wins_against: int
    losses_against: int


class TrophyChange(msgspec.Struct, frozen=True):
    """One ranked result, named as the reference names it."""

    id: int
    trophies: int  # the change: won or lost
    total_trophies: int  # after the match
    at: datetime
    match_code: str


_MATCH_COLUMNS = (
    "m.id, m.code, m.mode AS game_mode, m.team_size, m.score_to_win, m.score_a, m.score_b,"
    " m.winning_team, m.reason, m.started_at, m.ended_at, m.duration_seconds AS duration"
)


class MatchHistory:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def match(self, code: str) -> MatchLine | None:
        return await self._db.fetchrow(
            f"SELECT {_MATCH_COLUMNS} FROM matches m WHERE m.code = %s", code, into=MatchLine
        )

    async def players(self, match_ids: list[int]) -> dict[int, list[PlayerLine]]:
        rows = await self._db.fetch(
            "SELECT p.match_id, p.user_id, u.username, u.nickname, p.team, p.slot, p.goals,"
            " p.own_goals, p.trophies_before, p.trophies_after"
            " FROM match_players p JOIN users u ON u.id = p.user_id"
            " WHERE p.match_id = ANY(%s) ORDER BY p.match_id, p.team, p.slot",
            match_ids,
        )
        lines: dict[int, list[PlayerLine]] = {match_id: [] for match_id in match_ids}
        for match_id, *fields in rows:
            lines[match_id].append(PlayerLine(*fields))
        return lines

    async def names(self, user_ids: tuple[int, ...]) -> dict[int, PlayerName]:
        """Players' names as records show them: a deleted account's anonymised one."""
        rows = await self._db.fetch(
            "SELECT id AS user_id, username, nickname FROM users WHERE id = ANY(%s)",
            list(user_ids), into=PlayerName,
        )
        return {row.user_id: row for row in rows}

    async def of_user(
        self, user_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[MatchLine]]:
        """The user's matches, newest first; every one with ``limit=None``."""
        count = await self._db.fetchval(
            "SELECT count(*) FROM match_players WHERE user_id = %s", user_id
        )
        rows = await self._db.fetch(
            f"SELECT {_MATCH_COLUMNS} FROM matches m"
            " JOIN match_players p ON p.match_id = m.id AND p.user_id = %s"
            " ORDER BY m.id DESC LIMIT %s OFFSET %s",
            user_id, limit, offset, into=MatchLine,
        )
        return count, rows

    async def stats(self, user_id: int) -> list[StatsLine]:
        return await self._db.fetch(
            "SELECT mode, games, wins, losses, goals_scored, goals_conceded, own_goals,"
            " current_win_streak, best_win_streak, tournament_wins"
            " FROM user_stats WHERE user_id = %s ORDER BY mode",
            user_id, into=StatsLine,
        )

    async def rivals(self, user_id: int) -> list[Rival]:
        """Every opponent of decided matches, with the user's wins and losses against
        them: per mode, and over every mode as 'global'."""
        return await self._db.fetch(
            "SELECT coalesce(m.mode, 'global') AS mode, opp.user_id, u.username,"
            " count(*) FILTER (WHERE me.team = m.winning_team) AS wins_against,"
            " count(*) FILTER (WHERE opp.team = m.winning_team) AS losses_against"
            " FROM match_players me"
            " JOIN matches m ON m.id = me.match_id AND m.winning_team IS NOT NULL"
            " JOIN match_players opp ON opp.match_id = me.match_id AND opp.team <> me.team"
            " JOIN users u ON u.id = opp.user_id"
            " WHERE me.user_id = %s"
            " GROUP BY GROUPING SETS ((m.mode, opp.user_id, u.username), (opp.user_id, u.username))"
            " ORDER BY mode, opp.user_id",
            user_id, into=Rival,
        )

    async def trophy_history(
        self, user_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[TrophyChange]]:
        count = await self._db.fetchval(
            "SELECT count(*) FROM trophy_history WHERE user_id = %s", user_id
        )
        rows = await self._db.fetch(
            "SELECT t.id, t.trophies_after - t.trophies_before AS trophies,"
            " t.trophies_after AS total_trophies, t.changed_at AS at, m.code AS match_code"
            " FROM trophy_history t JOIN matches m ON m.id = t.match_id"
            " WHERE t.user_id = %s ORDER BY t.id DESC LIMIT %s OFFSET %s",
            user_id, limit, offset, into=TrophyChange,
        )
        return count, rows

    async def replay(self, code: str) -> tuple[int, bytes] | None:
        row = await self._db.fetchrow(
            "SELECT r.seed, r.inputs FROM match_replays r JOIN matches m ON m.id = r.match_id"
            " WHERE m.code = %s",
            code,
        )
        return None if row is None else (row[0], bytes(row[1]))
