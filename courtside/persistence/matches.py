"""Finished matches: the record, per-mode stats, trophies and the replay.

A match writes all of it in one transaction, once, when it ends (DESIGN.md §2:
hot paths never wait on the database inside a tick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .database import Executor

STATS_MODES = ("global", "duel", "ranked", "clash", "custom_game", "tournament")


@dataclass(frozen=True, slots=True)
class PlayerResult:
    user_id: int
    team: str
    slot: int
    goals: int
    own_goals: int
    won: bool | None  # None: the match was aborted, nobody won or lost


@dataclass(frozen=True, slots=True)
class FinishedMatch:
    code: str
    mode: str
    team_size: int
    score_to_win: int
    score_a: int
    score_b: int
    winning_team: str | None
    reason: str
    started_at: datetime | None
    duration_seconds: float
    players: tuple[PlayerResult, ...]
    seed: int
    inputs: bytes


class MatchResults:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def lock_trophies(self, user_ids: tuple[int, ...]) -> dict[int, int]:
        """Current trophies of the players, locked until the transaction ends."""
        rows = await self._db.fetch(
            "SELECT id, trophies FROM users WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            list(user_ids), write=True,
        )
        return dict(rows)

    async def record(
        self, match: FinishedMatch, trophy_changes: dict[int, tuple[int, int]]
    ) -> int:
        """Write the match, its players, stats, trophy changes (user -> before, after)
        and replay; returns its id. Run it in the transaction that locked the trophies."""
        match_id = await self._db.fetchval(
            "INSERT INTO matches (code, mode, team_size, score_to_win, score_a, score_b,"
            " winning_team, reason, started_at, duration_seconds)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            match.code, match.mode, match.team_size, match.score_to_win, match.score_a,
            match.score_b, match.winning_team, match.reason, match.started_at,
            match.duration_seconds,
            write=True,
        )
        for player in match.players:
            await self._db.execute(
                "INSERT INTO match_players (match_id, user_id, team, slot, goals, own_goals,"
                " trophies_before, trophies_after) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                match_id, player.user_id, player.team, player.slot, player.goals,
                player.own_goals, *trophy_changes.get(player.user_id, (None, None)),
            )
        for user_id, (before, after) in trophy_changes.items():
            await self._db.execute("UPDATE users SET trophies = %s WHERE id = %s", after, user_id)
            await self._db.execute(
                "INSERT INTO trophy_history (user_id, match_id, trophies_before, trophies_after)"
                " VALUES (%s, %s, %s, %s)",
                user_id, match_id, before, after,
            )
        if match.winning_team is not None:
            await self._add_stats(match)
        await self._db.execute(
            "INSERT INTO match_replays (match_id, seed, inputs) VALUES (%s, %s, %s)",
            match_id, match.seed, match.inputs,
        )
        return match_id

    async def _add_stats(self, match: FinishedMatch) -> None:
        rows = []
        params: list[object] = []
        for player in match.players:
            conceded = match.score_b if player.team == "a" else match.score_a
            won = 1 if player.won else 0
            for mode in ("global", match.mode):
                rows.append("(%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)")
                params += [player.user_id, mode, won, 1 - won, player.goals, conceded,
                           player.own_goals, won, won]
        await self._db.execute(
            "INSERT INTO user_stats AS s (user_id, mode, games, wins, losses, goals_scored,"
            " goals_conceded, own_goals, current_win_streak, best_win_streak)"
            f" VALUES {', '.join(rows)}"
            " ON CONFLICT (user_id, mode) DO UPDATE SET"
            " games = s.games + 1, wins = s.wins + EXCLUDED.wins,"
            " losses = s.losses + EXCLUDED.losses,"
            " goals_scored = s.goals_scored + EXCLUDED.goals_scored,"
            " goals_conceded = s.goals_conceded + EXCLUDED.goals_conceded,"
            " own_goals = s.own_goals + EXCLUDED.own_goals,"
            " current_win_streak = CASE WHEN EXCLUDED.wins = 1"
            "   THEN s.current_win_streak + 1 ELSE 0 END,"
            " best_win_streak = GREATEST(s.best_win_streak, CASE WHEN EXCLUDED.wins = 1"
            "   THEN s.current_win_streak + 1 ELSE 0 END)",
            *params,
        )
