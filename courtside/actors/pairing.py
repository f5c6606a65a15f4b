"""Matchmaking pair selection: closest trophies within windows that widen with waiting.

DESIGN.md §8: a player accepts opponents within ±50 trophies, 50 more for every 5 s
spent in the queue. A pair needs the difference within BOTH players' windows, as
Nakama's matchmaker needs both tickets' queries to accept each other: a newcomer is
never handed an opponent far off just because that opponent has waited long; the
long waiter is paired as soon as someone near enough has waited long enough too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Waiting(NamedTuple):
    """A player in a queue, once per user; ``joined_at`` is on the same clock as ``now``."""

    user_id: int
    trophies: int
    joined_at: float


def window(
    player: Waiting,
    now: float,
    *,
    base_window: int = 50,
    widen_by: int = 50,
    widen_every: float = 5.0,
) -> int:
    """How far, in trophies, ``player`` accepts an opponent at ``now``."""
    waited = max(0.0, now - player.joined_at)  # a clock step back never narrows it
    return base_window + widen_by * int(waited // widen_every)


def pairs(
    waiting: Iterable[Waiting],
    now: float,
    *,
    base_window: int = 50,
    widen_by: int = 50,
    widen_every: float = 5.0,
) -> list[tuple[int, int]]:
    """The pairs to start now, as (longer waiter, other) user ids.

    Greedy, closest first: the acceptable pair with the smallest difference is taken,
    then the next among players still free, and so on. Equal differences go to the
    pair whose longer waiter has waited longest, then whose other player has; user ids
    settle what remains, so the answer does not depend on the order of ``waiting``.
    Every player appears at most once, and no two players left over could be paired.

    Players are sorted by trophies, and each is compared only with those above it
    within its own window, so the cost grows with the queue times the players a
    window holds, not with the square of the queue.
    """
    ladder = sorted(waiting, key=lambda player: (player.trophies, player.user_id))
    windows = [
        window(player, now, base_window=base_window, widen_by=widen_by, widen_every=widen_every)
        for player in ladder
    ]
    candidates: list[tuple[int, tuple[float, int], tuple[float, int]]] = []
    for low, lower in enumerate(ladder):
        for high in range(low + 1, len(ladder)):
            higher = ladder[high]
            difference = higher.trophies - lower.trophies
            if difference > windows[low]:
                break
            if difference <= windows[high]:
                first, second = sorted((lower, higher), key=_seniority)
                candidates.append((difference, _seniority(first), _seniority(second)))

    paired: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for _, (_, first), (_, second) in sorted(candidates):
        if first not in paired and second not in paired:
            paired.update((first, second))
            chosen.append((first, second))
    return chosen


def _seniority(player: Waiting) -> tuple[float, int]:
    return player.joined_at, player.user_id
