"""A user's stats as the reference lists them: ``global`` first, then each mode.

The list has a fixed length, one entry per mode whether played or not, so it
has no pages. ``own_goals`` belongs to clash entries and ``tournament_wins`` to
tournament entries only, as the reference says; each entry also names the
opponent the user beat most and the one they lost to most in that mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import msgspec

from courtside.persistence.match_history import MatchHistory, Rival, StatsLine

from ..services import services

# The reference's order; custom games have no entry of their own (they count in global).
STATS_MODES = ("global", "duel", "clash", "ranked", "tournament")
UNSET: Any = msgspec.UNSET


class Enemy(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    wins_against: int
    losses_against: int


class ModeStats(msgspec.Struct, frozen=True):
    game_mode: Literal["global", "duel", "clash", "ranked", "tournament"]
    game_played: int
    wins: int
    scored: int
    longest_win_streak: int
    current_win_streak: int
    own_goals: int | msgspec.UnsetType = UNSET  # clash only
    tournament_wins: int | msgspec.UnsetType = UNSET  # tournament only
    best_enemy: Enemy | None = None
    worst_enemy: Enemy | None = None


async def stats_of(user_id: int) -> list[dict[str, Any]]:
    """The body of ``GET /api/users/<id>/stats/``."""
    history = MatchHistory(services().database)
    played = {line.mode: line for line in await history.stats(user_id)}
    rivals: dict[str, list[Rival]] = {mode: [] for mode in STATS_MODES}
    for rival in await history.rivals(user_id):
        rivals.setdefault(rival.mode, []).append(rival)
    return msgspec.to_builtins(
        [_entry(mode, played.get(mode), rivals[mode]) for mode in STATS_MODES]
    )


def _entry(mode: str, line: StatsLine | None, rivals: list[Rival]) -> ModeStats:
    line = line or StatsLine(mode, *(0,) * (len(StatsLine.__struct_fields__) - 1))  # all zero
    return ModeStats(
        game_mode=mode,  # type: ignore[arg-type]
        game_played=line.games,
        wins=line.wins,
        scored=line.goals_scored,
        longest_win_streak=line.best_win_streak,
        current_win_streak=line.current_win_streak,
        own_goals=line.own_goals if mode == "clash" else UNSET,
        tournament_wins=line.tournament_wins if mode == "tournament" else UNSET,
        # Equal counts go to the older account, so the answer is stable.
        best_enemy=_most(rivals, lambda rival: rival.wins_against),
        worst_enemy=_most(rivals, lambda rival: rival.losses_against),
    )


def _most(rivals: list[Rival], count: Callable[[Rival], int]) -> Enemy | None:
    counted = [rival for rival in rivals if count(rival)]
    top = max(counted, key=lambda rival: (count(rival), -rival.user_id), default=None)
    if top is None:
        return None
    return Enemy(top.user_id, top.username, top.wins_against, top.losses_against)
