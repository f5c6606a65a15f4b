"""Ranked trophies: Elo ratings with whole points and a floor (DESIGN.md §8).

Everyone starts at 1000, the default of ``users.trophies`` in the schema.
"""

from __future__ import annotations

DEFAULT_K = 32


def rating_changes(
    winner_rating: int, loser_rating: int, *, k: int = DEFAULT_K, floor: int = 0
) -> tuple[int, int]:
    """The winner's and the loser's new ratings after one decided match.

    The winner gains what the loser gives, K times the chance the loser had, rounded to
    a whole point, so points are conserved. Only the floor breaks that: a loser near it
    drops no lower, and the winner still gains in full, since what a win is worth should
    not depend on how many points the loser had left. A favourite far enough ahead
    (about 720 points at K = 32) gains nothing, but never loses.
    """
    winner_expected = 1.0 / (1.0 + 10.0 ** ((loser_rating - winner_rating) / 400.0))
    points = round(k * (1.0 - winner_expected))
    return winner_rating + points, max(floor, loser_rating - points)
