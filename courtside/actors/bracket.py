"""Bracket building, pure: seeds, first-round pairs with byes, round names, the rules
that decide a match the clock ended (DESIGN.md §8)."""

from __future__ import annotations

from collections.abc import Sequence

TOURNAMENT_SIZES = (4, 8, 16)
# Round names from the last round backwards, as the reference's TournamentInstance.
ROUND_NAMES = ("final", "semi-final", "quarter-final", "round-of-16")


def bracket_size(participants: int) -> int:
    """The smallest power of two holding everyone (at least 2)."""
    size = 2
    while size < participants:
        size *= 2
    return size


def rounds_for(participants: int) -> int:
    return bracket_size(participants).bit_length() - 1


def round_name(round_number: int, rounds: int) -> str:
    """``round_number`` counts from 1, the first round played."""
    return ROUND_NAMES[rounds - round_number]


def seed_order(size: int) -> list[int]:
    """Seeds (1-based) in bracket order: 1 and 2 meet only in the final, the top
    seeds meet the lowest first. For 8: [1, 8, 4, 5, 2, 7, 3, 6]."""
    order = [1]
    while len(order) < size:
        total = 2 * len(order) + 1
        order = [seed for top in order for seed in (top, total - top)]
    return order


def first_round(seeded: Sequence[int]) -> list[tuple[int | None, int | None]]:
    """Pairs for round one from user ids best seed first; a missing seed is a bye
    (None), which falls to the best seeds. Team a is always the better seed."""
    size = bracket_size(len(seeded))
    order = seed_order(size)
    slots = [seeded[seed - 1] if seed <= len(seeded) else None for seed in order]
    return [(slots[i], slots[i + 1]) for i in range(0, size, 2)]


def next_slot(position: int) -> tuple[int, str]:
    """Where the winner of ``position`` plays next round: (position, side)."""
    return position // 2, "a" if position % 2 == 0 else "b"


def time_up_winner(score_a: int, score_b: int, first_goal: str | None) -> str:
    """A match the round cap stopped: the score decides, a tie goes to the first goal,
    and a goalless tie to team a, the better seed."""
    if score_a != score_b:
        return "a" if score_a > score_b else "b"
    return first_goal or "a"
