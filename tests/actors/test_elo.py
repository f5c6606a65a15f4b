"""Ranked trophies: Elo with K = 32, whole points, a floor at 0."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courtside.actors.elo import rating_changes


@pytest.mark.parametrize(
    ("winner", "loser", "after"),
    [
        (1000, 1000, (1016, 984)),  # evens: half of K
        (1200, 1000, (1208, 992)),  # the favourite wins: 32 × 0.24
        (1000, 1200, (1024, 1176)),  # the upset: 32 × 0.76
        (1800, 1000, (1800, 1000)),  # too far ahead to gain a point
    ],
)
def test_known_rating_changes(winner, loser, after):
    assert rating_changes(winner, loser) == after


def test_k_scales_the_change():
    assert rating_changes(1000, 1000, k=16) == (1008, 992)


def test_the_loser_stops_at_the_floor_and_the_winner_still_gains_in_full():
    assert rating_changes(20, 10) == (36, 0)
    assert rating_changes(1000, 1000, floor=990) == (1016, 990)


ratings = st.integers(0, 4000)


@settings(max_examples=300)
@given(winner=ratings, loser=ratings)
def test_the_winner_never_loses_and_the_loser_never_gains(winner, loser):
    new_winner, new_loser = rating_changes(winner, loser)
    assert new_winner >= winner
    assert new_loser <= loser
    assert new_loser >= 0


@settings(max_examples=300)
@given(winner=ratings, loser=ratings)
def test_points_are_conserved_unless_the_floor_clips(winner, loser):
    new_winner, new_loser = rating_changes(winner, loser)
    if new_loser > 0:
        assert new_winner + new_loser == winner + loser
    else:
        assert new_winner - winner >= loser - new_loser


@settings(max_examples=300)
@given(loser=ratings, winner=ratings, stronger_by=st.integers(1, 1000))
def test_beating_a_stronger_player_is_worth_at_least_as_much(winner, loser, stronger_by):
    gain_against_loser = rating_changes(winner, loser)[0] - winner
    gain_against_stronger = rating_changes(winner, loser + stronger_by)[0] - winner
    assert gain_against_stronger >= gain_against_loser
    assert 0 <= gain_against_stronger <= 32
